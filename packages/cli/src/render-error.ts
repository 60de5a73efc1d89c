/** How the b3 command shows a failure: the message, what to do with the flags that do it, a closing line per family of errors, and the exit code. */
import { B3Error, type Setting } from "@b3/core/errors";
import { CommanderError } from "commander";
import { type CliIo, EXIT } from "./cli-io.ts";
import { settingHint } from "./flags.ts";

/** Said after the error when the command line itself was wrong. */
export const USAGE_HINT = "Run with --help for usage.";

interface Family {
  exit: number;
  /** Before the message, naming the part that failed. */
  prefix?: string;
  /** A line after the remedy: what the failure left unchanged, or where to look. */
  after?: string;
}

/** By error `kind`; any other kind of ours exits 1 with its message and remedy. */
const FAMILIES: Record<string, Family> = {
  usage: { exit: EXIT.usage, after: USAGE_HINT },
  lake: { exit: EXIT.nothingWritten, after: "nothing was written." },
  transform: {
    exit: EXIT.nothingWritten,
    prefix: "transform: ",
    after: "refined/ and aggregated/ are unchanged.",
  },
  "trino-query": { exit: EXIT.nothingWritten, prefix: "trino: " },
};

/** `what to do: <remedy> (<flags>)`, or nothing when there is no remedy. */
export function remedyLine(remedy: string | undefined, settings: readonly Setting[] = []): string {
  if (remedy === undefined || remedy === "") return "";
  const hints = settings.length === 0 ? "" : ` (${settings.map(settingHint).join(", ")})`;
  return `what to do: ${remedy}${hints}`;
}

/** `error: …` and, when there is one, the remedy on the next line. */
export function describeError(error: B3Error, prefix = ""): string {
  const remedy = remedyLine(error.remedy, error.settings);
  return `error: ${prefix}${error.message}\n${remedy === "" ? "" : `  ${remedy}\n`}`;
}

/** Writes `error` to stderr and returns the exit code it means; never throws. */
export function reportError(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // Commander has written its message, or the help or version asked for, already.
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") {
      return EXIT.ok;
    }
    // `b3 help <command>` ends as "commander.help" with exit code 0; help shown because the
    // command line named no known command (`b3 help nope`) ends with 1, a usage error.
    return error.code === "commander.help" && error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof B3Error) {
    const family = FAMILIES[error.kind] ?? { exit: EXIT.nothingWritten };
    io.stderr.write(describeError(error, family.prefix));
    if (family.after !== undefined) io.stderr.write(`${family.after}\n`);
    return family.exit;
  }
  io.stderr.write(`error: ${(error as Error)?.stack ?? String(error)}\n`);
  return EXIT.nothingWritten;
}
