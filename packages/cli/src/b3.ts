#!/usr/bin/env node
/** The `b3` command: the local twin of the pipeline (DESIGN §6). */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "@b3/core/errors";
import { LakeError } from "@b3/core/lake";
import { TrinoQueryError, TrinoSetupError } from "@b3/core/query";
import { TransformError } from "@b3/core/transform";
import { type CliIo, EXIT, processIo } from "./cli-io.ts";
import { extractCommand } from "./commands/extract.ts";
import { queryCommand } from "./commands/query.ts";
import { runCommand } from "./commands/run.ts";
import { transformCommand } from "./commands/transform.ts";
import { trinoCommand } from "./commands/trino.ts";

const commands: Record<
  string,
  { summary: string; run: (args: string[], io: CliIo) => Promise<number> }
> = {
  extract: { summary: "download daily bars into raw/ingestion_date=D/", run: extractCommand },
  transform: {
    summary: "raw of a run date → refined + aggregated (DuckDB or Spark)",
    run: transformCommand,
  },
  run: {
    summary: "extract + transform + summary: the daily pipeline on the local lake",
    run: runCommand,
  },
  query: {
    summary: "SQL over the local lake (DuckDB or local Trino) or a deployed stage (Athena)",
    run: queryCommand,
  },
  trino: {
    summary: "install, start, show or stop the local Trino behind query --engine trino",
    run: trinoCommand,
  },
};

const help = `Usage: b3 <command> [flags]   (npm run b3 -- <command> [flags])

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join("\n")}

Run "b3 <command> --help" for a command's flags.`;

/** Runs the command line `argv` and returns the exit code; never throws. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(`${help}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = commands[name];
  if (!command) {
    io.stderr.write(`error: unknown command ${JSON.stringify(name)}\n\n${help}\n`);
    return EXIT.usage;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    return reportError(error, io);
  }
}

function reportError(error: unknown, io: CliIo): number {
  const e = error as Error & { code?: string };
  if (error instanceof UsageError || e.code?.startsWith("ERR_PARSE_ARGS")) {
    io.stderr.write(`error: ${e.message}\nRun with --help for usage.\n`);
    return EXIT.usage;
  }
  if (error instanceof TransformError) {
    io.stderr.write(`error: transform: ${e.message}\nrefined/ and aggregated/ are unchanged.\n`);
    return EXIT.nothingWritten;
  }
  if (error instanceof TrinoQueryError) {
    io.stderr.write(`error: trino: ${e.message}\n`);
    return EXIT.nothingWritten;
  }
  if (error instanceof TrinoSetupError) {
    io.stderr.write(`error: ${e.message}\n`);
    return EXIT.nothingWritten;
  }
  if (error instanceof LakeError) {
    io.stderr.write(`error: ${e.message}\nnothing was written.\n`);
    return EXIT.nothingWritten;
  }
  io.stderr.write(`error: ${e.stack ?? String(error)}\n`);
  return EXIT.nothingWritten;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
