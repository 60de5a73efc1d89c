/** `b3 transform`: raw of a run date → refined + aggregated, by DuckDB (default) or by the Glue job on local Spark. */
import { defaultRunDate } from "@b3/core/settings";
import { type TransformSummary, transformWithDuckDB, transformWithSpark } from "@b3/core/transform";
import { type CliIo, EXIT, paint } from "../cli-io.ts";
import { defineCommand } from "../command.ts";
import { LAKE_DEFAULT } from "../defaults.ts";
import { FLAGS, type FlagTable, toggle, type Values } from "../flags.ts";
import { writeJson } from "../json-output.ts";
import { lakeLocation, localLakeRoot } from "../lake-arg.ts";
import { summaryTable } from "../render-result.ts";

/** The flags of the transform step, which b3 run takes too. */
export const transformFlags = {
  date: FLAGS.date,
  lake: { ...FLAGS.lake, value: "PATH", help: `the local lake (default: ${LAKE_DEFAULT})` },
  engine: FLAGS.engine,
  lockWait: FLAGS.lockWait,
} satisfies FlagTable;

export const transform = defineCommand({
  name: "transform",
  summary: "raw of a run date → refined + aggregated (DuckDB or Spark)",
  description:
    "Turns raw/ingestion_date=<--date>/stocks_data.parquet into refined/ (partitioned by data_pregao) " +
    "and aggregated/ (monthly). The tables are recomputed from every raw file of the lake; only the " +
    "partitions whose rows change are rewritten, under the lake lock, through a crash-safe journal.",
  flags: { ...transformFlags, json: toggle("print the summary as JSON") },
  notes: "Exit codes: 0 written; 1 nothing written (bad or missing raw file); 2 usage error.",
  async run(values, io) {
    const summary = await runTransform(values, io);
    if (values.json) writeJson(io, summary);
    else io.stdout.write(renderTransformSummary(summary));
    return EXIT.ok;
  },
});

/** Why b3 transform refuses an S3 lake. */
const TRANSFORM_NOT_S3 =
  "b3 transform runs on a local lake; in the cloud the Glue job transforms s3:// lakes";

export async function runTransform(
  values: Values<typeof transformFlags>,
  io: CliIo,
): Promise<TransformSummary> {
  const { engine } = values;
  const date = values.date ?? defaultRunDate(io.now());
  const lakeRoot = localLakeRoot(lakeLocation(values.lake, io), TRANSFORM_NOT_S3);
  const live = io.stderr.isTTY === true;
  if (live) io.stderr.write(`transforming ${date} with ${engine} in ${lakeRoot}\n`);
  const options = { lakeRoot, ingestionDate: date, lockWaitMs: values.lockWait * 1000 };
  if (engine === "spark") {
    if (live) io.stderr.write("  starting the Glue job on local Spark (the JVM takes a while)…\n");
    return transformWithSpark(options);
  }
  return transformWithDuckDB({
    ...options,
    onPhase: live
      ? (phase, ms) =>
          io.stderr.write(`  ${paint(io.stderr, "green", "✓")} ${phase} ${Math.round(ms)} ms\n`)
      : undefined,
  });
}

/** Sessions per ticker, drops per reason, partitions written, newest session. */
export function renderTransformSummary(s: TransformSummary): string {
  const perTicker = Object.entries(s.sessions_per_ticker).sort(([a], [b]) => a.localeCompare(b));
  const dropped = Object.entries(s.dropped);
  return [
    summaryTable(["ticker", "sessions"], perTicker),
    `raw rows ${s.raw_rows}: ${s.sessions} sessions${dropped.length ? `, dropped ${dropped.map(([r, n]) => `${n} ${r}`).join(", ")}` : ""}`,
    `refined: ${s.partitions_written} partitions written (${s.first_partition} → ${s.last_partition}), ${s.refined_rows_written} rows; ${s.refined_rows_total} rows in all`,
    `aggregated: ${s.aggregated_rows} ticker-months; newest session ${s.newest_session}`,
    "",
  ].join("\n");
}
