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

/** The stack of `error` and of each of its causes, for --debug. */
function stackTrace(error: unknown): string {
  const lines: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; depth += 1) {
    lines.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e));
    e = e instanceof Error ? e.cause : undefined;
    if (e !== undefined) lines.push("caused by:");
  }
  return `${lines.join("\n")}\n`;
}

/** Writes `error` to stderr and returns the exit code it means; never throws. With `debug`, the stack traces too. */
export function reportError(error: unknown, io: CliIo, debug = false): number {
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
    if (debug) io.stderr.write(stackTrace(error));
    return family.exit;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`error: ${message}\n`);
  io.stderr.write(
    debug
      ? stackTrace(error)
      : "  (not an error b3 knows: run again with --debug for the stack trace, and report it if it persists)\n",
  );
  return EXIT.nothingWritten;
}
