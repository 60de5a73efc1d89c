/** `b3 run`: extract, then transform, then a summary — the whole daily pipeline on the local lake. */
import { parseArgs } from "node:util";
import { queryLake } from "@b3/core/query";
import { TransformError } from "@b3/core/transform";
import { type CliIo, EXIT } from "../cli-io.ts";
import { defaultLake } from "../defaults.ts";
import { renderResult } from "../render-result.ts";
import { extractFlags, extractHelp, renderReport, runExtract } from "./extract.ts";
import { renderTransformSummary, runTransform } from "./transform.ts";

export const runHelp = `Usage: b3 run [flags]

Runs the daily pipeline on the local lake: b3 extract, then b3 transform, then prints the summary
and the newest refined rows.

Flags: every flag of b3 extract, plus
  --engine E        duckdb (default) or spark
  --samples N       refined rows to show at the end (default 5; 0 for none)

${extractHelp.slice(extractHelp.indexOf("Flags:") + "Flags:\n".length)}`;

export async function runCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...extractFlags,
      engine: { type: "string", default: "duckdb" },
      samples: { type: "string", default: "5" },
    },
  });
  if (values.help) {
    io.stdout.write(`${runHelp}\n`);
    return EXIT.ok;
  }
  const report = await runExtract(values, io);
  io.stdout.write(renderReport(report));
  if (report.exitCode === EXIT.nothingWritten) return EXIT.nothingWritten;

  let summary: Awaited<ReturnType<typeof runTransform>>;
  try {
    summary = await runTransform(
      {
        date: report.window.runDate,
        lake: values.lake,
        engine: values.engine,
        "lock-wait": (values as { "lock-wait"?: string })["lock-wait"],
      },
      io,
    );
  } catch (error) {
    if (!(error instanceof TransformError)) throw error;
    io.stderr.write(
      `error: transform: ${error.message}\nthe raw file was written; refined/ and aggregated/ are unchanged. Fix the cause and run: b3 transform --date ${report.window.runDate}\n`,
    );
    return EXIT.nothingWritten;
  }
  io.stdout.write(`\n${renderTransformSummary(summary)}`);
  const samples = Number(values.samples);
  if (Number.isInteger(samples) && samples > 0) {
    const lakeRoot = values.lake ?? defaultLake(io.env);
    const newest = await queryLake(
      lakeRoot,
      `SELECT nome_acao, data_pregao, round(fechamento, 2) AS fechamento, round(media_movel_7d, 2) AS media_movel_7d,
              round(lag_1d, 2) AS lag_1d, volume_negociado
       FROM refined_stocks ORDER BY data_pregao DESC, nome_acao LIMIT ${samples}`,
    );
    io.stdout.write(`\nnewest refined rows:\n${renderResult(newest, "table")}`);
  }
  return report.exitCode;
}
