/** One declaration per command: what it is for, its argument, its flags and its help notes, and what it runs; the commander command is built from it. */
import { Argument, type Command } from "commander";
import type { CliIo } from "./cli-io.ts";
import { type FlagTable, toOption, type Values } from "./flags.ts";

export interface CommandContext {
  /** The command's positional arguments. */
  args: string[];
  /** Whether the flag (by attribute name) was given on the command line rather than defaulted. */
  given(key: string): boolean;
}

export interface CommandSpec<T extends FlagTable = FlagTable> {
  name: string;
  /** One line, in `b3 --help`. */
  summary: string;
  /** A paragraph, in `b3 <command> --help`. */
  description: string;
  argument?: { syntax: string; help: string; choices?: readonly string[] };
  flags: T;
  /** Help after the flags: exit codes, examples. */
  notes?: string;
  /** Runs the command with its parsed flags; returns the exit code. */
  run(values: Values<T>, io: CliIo, context: CommandContext): Promise<number>;
}

/** Keeps `T`, so that `run` sees the types of the command's own flags. */
export const defineCommand = <T extends FlagTable>(spec: CommandSpec<T>): CommandSpec<T> => spec;

/** Adds `spec` to `program`; `done` receives the exit code of its run. */
export function addCommand(
  program: Command,
  spec: CommandSpec,
  io: CliIo,
  done: (code: number) => void,
): Command {
  const command = program.command(spec.name).summary(spec.summary).description(spec.description);
  if (spec.argument !== undefined) {
    const argument = new Argument(spec.argument.syntax, spec.argument.help);
    if (spec.argument.choices !== undefined) argument.choices(spec.argument.choices);
    command.addArgument(argument);
  }
  for (const [key, flag] of Object.entries(spec.flags)) command.addOption(toOption(key, flag));
  if (spec.notes !== undefined) command.addHelpText("after", `\n${spec.notes}`);
  return command.action(async () => {
    const context: CommandContext = {
      args: command.args,
      given: (key) => command.getOptionValueSource(key) === "cli",
    };
    done(await spec.run(command.opts() as Values<FlagTable>, io, context));
  });
}
