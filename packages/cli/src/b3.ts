#!/usr/bin/env node
/** The `b3` command: the local twin of the pipeline. */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { envSwitchOn } from "@b3/core/settings";
import { Command } from "commander";
import { type CliIo, EXIT, processIo } from "./cli-io.ts";
import { addCommand, type CommandSpec } from "./command.ts";
import { VERSION } from "./defaults.ts";
import { reportError, USAGE_HINT } from "./render-error.ts";

/**
 * Each command's module, loaded only when needed: a command line naming one command loads that
 * one alone, so `b3 transform` never loads the extract's Yahoo client, the AWS SDK or the query
 * engines. Help and unknown commands load them all. In the order `b3 --help` lists them.
 */
const COMMAND_MODULES: Record<string, () => Promise<CommandSpec>> = {
  extract: async () => (await import("./commands/extract.ts")).extract,
  transform: async () => (await import("./commands/transform.ts")).transform,
  run: async () => (await import("./commands/run.ts")).run,
  query: async () => (await import("./commands/query.ts")).query,
  report: async () => (await import("./commands/report.ts")).report,
  trino: async () => (await import("./commands/trino.ts")).trino,
};

export const COMMAND_NAMES: readonly string[] = Object.keys(COMMAND_MODULES);

/** The declarations of the commands named (default: all). */
export function loadCommands(names: readonly string[] = COMMAND_NAMES): Promise<CommandSpec[]> {
  return Promise.all(names.map((name) => (COMMAND_MODULES[name] as () => Promise<CommandSpec>)()));
}

/** The flags every command takes: name and help, as the program declares them below. */
export const GLOBAL_FLAGS = [
  ["-V, --version", "print the version"],
  ["--debug", "on an error, print the stack traces too (also: B3_DEBUG=1)"],
  ["-h, --help", "show help"],
] as const;
const [VERSION_FLAG, DEBUG_FLAG, HELP_FLAG] = GLOBAL_FLAGS;

/** The program for one command line, writing to `io`; `done` receives the exit code of the command run. */
function program(
  io: CliIo,
  commands: readonly CommandSpec[],
  done: (code: number) => void,
): Command {
  const width = (stream: CliIo["stdout"]) => (stream as { columns?: number }).columns ?? 80;
  const b3 = new Command("b3")
    .description("The local twin of the daily B3 pipeline: npx b3 <command> [flags].")
    .usage("<command> [flags]")
    .version(VERSION, ...VERSION_FLAG)
    .helpOption(...HELP_FLAG)
    .option(...DEBUG_FLAG)
    .helpCommand("help [command]", "show help for a command")
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      getOutHelpWidth: () => width(io.stdout),
      getErrHelpWidth: () => width(io.stderr),
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    // Errors are thrown rather than exiting, so that main() returns the code and tests run in-process.
    .exitOverride()
    .showHelpAfterError(USAGE_HINT)
    .addHelpText("after", '\nRun "b3 help <command>" or "b3 <command> --help" for its flags.');
  for (const spec of commands) addCommand(b3, spec, io, done);
  return b3;
}

/** Runs the command line `argv` and returns the exit code; never throws. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let code: number = EXIT.ok;
  // The global flags take no value, so the first word that is not a flag names the command.
  const first = argv.find((word) => !word.startsWith("-"));
  const named = first !== undefined && Object.hasOwn(COMMAND_MODULES, first);
  const commands = await loadCommands(named ? [first] : COMMAND_NAMES);
  const b3 = program(io, commands, (c) => {
    code = c;
  });
  // No command at all is a usage error that still shows the commands; `b3 help` shows them too.
  if (argv.length === 0 || (argv.length === 1 && argv[0] === "help")) {
    b3.outputHelp();
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  try {
    await b3.parseAsync(argv, { from: "user" });
    return code;
  } catch (error) {
    const debug = b3.opts().debug === true || envSwitchOn(io.env.B3_DEBUG);
    return reportError(error, io, debug);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
