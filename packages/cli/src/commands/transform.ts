/** `b3 transform`: raw of a run date → refined + aggregated, by DuckDB (default) or by the Glue job on local Spark. */
import { parseArgs } from "node:util";
import { UsageError } from "@b3/core/errors";
import { B3_TIME_ZONE, localDate, parseIsoDate } from "@b3/core/extract";
import { openLake } from "@b3/core/lake";
import { type TransformSummary, transformWithDuckDB, transformWithSpark } from "@b3/core/transform";
import { type CliIo, EXIT } from "../cli-io.ts";
import { defaultLake } from "../defaults.ts";
import { compactTable } from "../render-result.ts";

export const transformHelp = `Usage: b3 transform [flags]

Turns raw/ingestion_date=<--date>/stocks_data.parquet into refined/ (partitioned by data_pregao)
and aggregated/ (monthly). The tables are recomputed from every raw file of the lake; only the
partitions whose rows change are rewritten, under the lake lock, through a crash-safe journal.

Flags:
  --date D          run date YYYY-MM-DD (default: today in America/Sao_Paulo)
  --lake PATH       the local lake (default: $B3_LAKE or .lake/ at the repository root)
  --engine E        duckdb (default) or spark (the Glue job itself, on local pyspark)
  --lock-wait S     seconds to wait while another run holds the lake lock (default 60)
  --json            print the summary as JSON
  -h, --help        show this help

Exit codes: 0 written; 1 nothing written (bad or missing raw file); 2 usage error.`;

export const ENGINES = ["duckdb", "spark"] as const;
export type Engine = (typeof ENGINES)[number];

export async function transformCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      date: { type: "string" },
      lake: { type: "string" },
      engine: { type: "string", default: "duckdb" },
      "lock-wait": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout.write(`${transformHelp}\n`);
    return EXIT.ok;
  }
  const summary = await runTransform(values, io);
  io.stdout.write(
    values.json ? `${JSON.stringify(summary, null, 2)}\n` : renderTransformSummary(summary),
  );
  return EXIT.ok;
}

export interface TransformValues {
  date?: string | undefined;
  lake?: string | undefined;
  engine?: string | undefined;
  "lock-wait"?: string | undefined;
}

/** `--lock-wait S` in milliseconds, or undefined for the lock's own default. */
export function lockWaitMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (value.trim() === "" || !Number.isFinite(seconds) || seconds < 0) {
    throw new UsageError(`--lock-wait ${JSON.stringify(value)} is not a number of seconds >= 0`);
  }
  return seconds * 1000;
}

export async function runTransform(values: TransformValues, io: CliIo): Promise<TransformSummary> {
  const engine = (values.engine ?? "duckdb") as Engine;
  if (!ENGINES.includes(engine)) {
    throw new UsageError(
      `--engine ${JSON.stringify(values.engine)} is not one of ${ENGINES.join(", ")}`,
    );
  }
  const date =
    values.date === undefined
      ? localDate(io.now(), B3_TIME_ZONE)
      : parseIsoDate(values.date, "--date");
  const lockWait = lockWaitMs(values["lock-wait"]);
  const lake = openLake(values.lake ?? defaultLake(io.env));
  if (lake.root.startsWith("s3://")) {
    throw new UsageError(
      "b3 transform runs on a local lake; in the cloud the Glue job transforms s3:// lakes",
    );
  }
  if (io.stderr.isTTY) io.stderr.write(`transforming ${date} with ${engine} in ${lake.root}\n`);
  const options = {
    lakeRoot: lake.root,
    ingestionDate: date,
    ...(lockWait === undefined ? {} : { lockWaitMs: lockWait }),
  };
  return engine === "spark" ? transformWithSpark(options) : transformWithDuckDB(options);
}

/** Sessions per ticker, drops per reason, partitions written, newest session. */
export function renderTransformSummary(s: TransformSummary): string {
  const table = compactTable(["ticker", "sessions"]);
  for (const [ticker, n] of Object.entries(s.sessions_per_ticker).sort()) table.push([ticker, n]);
  const dropped = Object.entries(s.dropped);
  return [
    table.toString(),
    `raw rows ${s.raw_rows}: ${s.sessions} sessions${dropped.length ? `, dropped ${dropped.map(([r, n]) => `${n} ${r}`).join(", ")}` : ""}`,
    `refined: ${s.partitions_written} partitions written (${s.first_partition} → ${s.last_partition}), ${s.refined_rows_written} rows; ${s.refined_rows_total} rows in all`,
    `aggregated: ${s.aggregated_rows} ticker-months; newest session ${s.newest_session}`,
    "",
  ].join("\n");
}
