/** `b3 run`: extract, then transform, then a summary — the whole daily pipeline on the local lake. */
import type { ExtractReport } from "@b3/core/extract";
import { LakeError } from "@b3/core/lake";
import { type QueryResult, queryLake } from "@b3/core/query";
import { TransformError, type TransformSummary } from "@b3/core/transform";
import { EXIT, STATUS_EXIT } from "../cli-io.ts";
import { defineCommand } from "../command.ts";
import { defaulted, toggle, wholeNumber } from "../flags.ts";
import { writeJson } from "../json-output.ts";
import { lakeLocation, localLakeRoot } from "../lake-arg.ts";
import { describeError } from "../render-error.ts";
import { renderResult, rowObjects } from "../render-result.ts";
import { extractFlags, runExtract, writeReport } from "./extract.ts";
import { renderTransformSummary, runTransform, transformFlags } from "./transform.ts";

export const run = defineCommand({
  name: "run",
  summary: "extract + transform + summary: the daily pipeline on the local lake",
  description:
    "Runs the daily pipeline on the local lake: b3 extract, then b3 transform for the same date, " +
    "then prints the summary and the newest refined rows. Takes every flag of both.",
  flags: {
    ...extractFlags,
    ...transformFlags,
    samples: defaulted({
      value: "N",
      help: "refined rows to show at the end; 0 for none",
      parse: wholeNumber,
      default: 5,
    }),
    json: toggle("print the extract report, the transform summary and the newest rows as JSON"),
  },
  notes:
    "Exit codes: 0 all tickers written and transformed; 3 some tickers failed, the rest written\n" +
    "and transformed; 1 nothing written, or the transform failed (the raw file stays written);\n" +
    "2 usage error.",
  async run(values, io) {
    // The transform needs a local lake: refuse any other before the extract writes to it.
    const lakeRoot = localLakeRoot(
      lakeLocation(values.lake, io),
      "b3 run transforms on a local lake; to extract into an S3 lake use b3 extract",
    );
    const report = await runExtract(values, io);
    if (!values.json) writeReport(report, io);
    const printJson = (transform: TransformSummary | null, newest: QueryResult | null) =>
      writeJson(io, { extract: report, transform, newest: newest && rowObjects(newest) });
    if (report.status === "failed") {
      if (values.json) printJson(null, null);
      return STATUS_EXIT.failed;
    }

    let summary: TransformSummary;
    try {
      summary = await runTransform({ ...values, date: report.window.runDate }, io);
    } catch (error) {
      if (!(error instanceof TransformError || error instanceof LakeError)) throw error;
      io.stderr.write(transformFailed(error, report));
      if (values.json) printJson(null, null);
      return EXIT.nothingWritten;
    }
    const newest =
      values.samples > 0
        ? await queryLake(
            lakeRoot,
            `SELECT nome_acao, data_pregao, fechamento, media_movel_7d, lag_1d, volume_negociado
             FROM refined_stocks ORDER BY data_pregao DESC, nome_acao LIMIT ${values.samples}`,
          )
        : null;
    if (values.json) {
      printJson(summary, newest);
    } else {
      io.stdout.write(`\n${renderTransformSummary(summary)}`);
      if (newest !== null)
        io.stdout.write(`\nnewest refined rows:\n${renderResult(newest, "table")}`);
    }
    return STATUS_EXIT[report.status];
  },
});

/** The transform's error, and that the extract's raw file stays: re-running the transform is enough. */
function transformFailed(error: TransformError | LakeError, report: ExtractReport): string {
  return (
    describeError(error, "transform: ") +
    "the raw file was written; refined/ and aggregated/ are unchanged. " +
    `Fix the cause and run: b3 transform --date ${report.window.runDate}\n`
  );
}
