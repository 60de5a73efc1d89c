/** `b3 extract`: download daily bars for a window and merge them into the raw file of the run date in a local or S3 lake. */
import { resolve } from "node:path";
import { format, inspect } from "node:util";
import {
  createChartClient,
  type ExtractReport,
  explainReplayMisses,
  extractToLake,
  extractWindow,
  replayFetch,
  type TickerOutcome,
  tickersFromEnv,
} from "@b3/core/extract";
import { type CliIo, paint, STATUS_EXIT } from "../cli-io.ts";
import { defineCommand } from "../command.ts";
import { FLAGS, type FlagTable, toggle, type Values } from "../flags.ts";
import { writeJson } from "../json-output.ts";
import { lakeLocation, openLakeArg } from "../lake-arg.ts";
import { remedyLine } from "../render-error.ts";
import { summaryTable } from "../render-result.ts";

/** The flags of the extract step, which b3 run takes too. */
export const extractFlags = {
  date: FLAGS.date,
  from: FLAGS.from,
  tickers: FLAGS.tickers,
  lake: FLAGS.lake,
  replay: FLAGS.replay,
  concurrency: FLAGS.concurrency,
  timeout: FLAGS.timeout,
  lockWait: FLAGS.lockWait,
} satisfies FlagTable;

export const extract = defineCommand({
  name: "extract",
  summary: "download daily bars into raw/ingestion_date=D/",
  description:
    "Downloads daily bars from Yahoo for the window [--from, --date − 1] and merges them into " +
    "raw/ingestion_date=<--date>/stocks_data.parquet in the lake (earlier rows stay).",
  flags: { ...extractFlags, json: toggle("print the report as JSON instead of a table") },
  notes:
    "Exit codes: 0 all tickers written; 3 some tickers failed, the rest written;\n" +
    "1 nothing written; 2 usage error.",
  async run(values, io) {
    const report = await runExtract(values, io);
    if (values.json) writeJson(io, report);
    else writeReport(report, io);
    return STATUS_EXIT[report.status];
  },
});

/**
 * Runs `work` with console.log and its kin writing to `stderr`: stdout carries the report alone,
 * and yahoo-finance2 prints some validation problems with console.log.
 */
async function withConsoleOnStderr<T>(stderr: CliIo["stderr"], work: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, info: console.info, debug: console.debug, dir: console.dir };
  const write = (text: string) => stderr.write(`${text}\n`);
  console.log = console.info = console.debug = (...args) => write(format(...args));
  console.dir = (item, options) => write(inspect(item, options));
  try {
    return await work();
  } finally {
    Object.assign(console, saved);
  }
}

/** Runs the extract step with the parsed extract flags, reporting progress per ticker on a TTY. */
export async function runExtract(
  values: Values<typeof extractFlags>,
  io: CliIo,
): Promise<ExtractReport> {
  const window = extractWindow({ runDate: values.date, from: values.from, now: io.now() });
  const tickers = values.tickers ?? tickersFromEnv(io.env.B3_TICKERS);
  const { concurrency } = values;
  const lake = openLakeArg(lakeLocation(values.lake, io));
  const fetchChart = createChartClient({
    fetch: values.replay === undefined ? io.fetch : replayFetch(resolve(io.cwd, values.replay)),
    timeoutMs: values.timeout * 1000,
    concurrency,
  });
  const progress = io.stderr.isTTY === true;
  if (progress) {
    io.stderr.write(
      `extracting ${tickers.length} ticker(s), ${window.from} → ${window.to}, into ${lake.root}\n`,
    );
  }
  const report = await withConsoleOnStderr(io.stderr, () =>
    extractToLake({
      tickers,
      window,
      lake,
      fetchChart,
      concurrency,
      now: io.now,
      lockWaitMs: values.lockWait * 1000,
      onLockWait: (holder) =>
        io.stderr.write(
          `waiting for the lake lock, held by ${holder.owner} on host ${holder.host} (pid ${holder.pid})\n`,
        ),
      onOutcome: progress ? (o) => io.stderr.write(progressLine(o, io)) : undefined,
      onRetry: progress
        ? (r) =>
            io.stderr.write(
              `  ${paint(io.stderr, "yellow", "↻")} ${r.ticker} attempt ${r.attempt} failed (${r.reason}); retrying\n`,
            )
        : undefined,
    }),
  );
  if (values.replay !== undefined) explainReplayMisses(report, resolve(io.cwd, values.replay));
  if (report.replacedCorrupt !== undefined) {
    io.stderr.write(
      `warning: ${report.replacedCorrupt} could not be read; it was replaced by this run's rows\n`,
    );
  }
  return report;
}

function progressLine(o: TickerOutcome, io: CliIo): string {
  return o.status === "ok"
    ? `  ${paint(io.stderr, "green", "✓")} ${o.ticker} ${o.rows} sessions\n`
    : `  ${paint(io.stderr, "red", "✗")} ${o.ticker} ${o.kind}\n`;
}

/** The report on stdout (the summary table and what was written); each distinct failure, its cause and what to do, on stderr. */
export function writeReport(report: ExtractReport, io: CliIo): void {
  io.stdout.write(renderReport(report));
  for (const line of failureLines(report.outcomes)) io.stderr.write(`${line}\n`);
  if (report.uncertainWrite !== undefined) io.stderr.write(`error: ${report.uncertainWrite}\n`);
}

/** The summary table and the line saying what was written. */
export function renderReport(report: ExtractReport): string {
  const rows = report.outcomes.map((o) =>
    o.status === "ok"
      ? [o.ticker, "ok", o.rows, o.firstDate, o.lastDate, o.attempts]
      : [o.ticker, o.kind, 0, "", "", o.attempts],
  );
  return [
    `window ${report.window.from} → ${report.window.to} (run date ${report.window.runDate})`,
    summaryTable(["ticker", "status", "sessions", "first", "last", "attempts"], rows),
    statusLine(report),
    "",
  ].join("\n");
}

function statusLine(report: ExtractReport): string {
  if (report.uncertainWrite !== undefined) return "the raw file may or may not have been written";
  if (report.location === undefined) return "nothing written: no ticker succeeded";
  const kept = report.rowsKept > 0 ? `, kept ${report.rowsKept} rows of earlier extracts` : "";
  return `wrote ${report.rowsWritten} rows to ${report.location}${kept}`;
}

/** One error line per distinct cause: five tickers failing the same way read as one problem. */
function failureLines(outcomes: readonly TickerOutcome[]): string[] {
  const byCause = new Map<string, { tickers: string[]; remedy: string }>();
  for (const o of outcomes) {
    if (o.status !== "failed") continue;
    const group = byCause.get(o.reason) ?? {
      tickers: [],
      remedy: remedyLine(o.remedy, o.settings),
    };
    group.tickers.push(
      o.keptRows ? `${o.ticker} (kept its ${o.keptRows} rows of earlier extracts)` : o.ticker,
    );
    byCause.set(o.reason, group);
  }
  return [...byCause].map(
    ([cause, { tickers, remedy }]) =>
      `error: ${tickers.join(", ")}: ${cause}${remedy === "" ? "" : `\n  ${remedy}`}`,
  );
}
