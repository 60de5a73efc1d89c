/** `b3 extract`: download daily bars for a window and merge them into the raw file of the run date in a local or S3 lake. */
import { format, inspect, parseArgs } from "node:util";
import { UsageError } from "@b3/core/errors";
import {
  createChartClient,
  DEFAULT_TICKERS,
  type ExtractReport,
  extractToLake,
  extractWindow,
  parseTickers,
  replayFetch,
  type TickerOutcome,
} from "@b3/core/extract";
import { LakeError, type LakeStorage, openLake } from "@b3/core/lake";
import { type CliIo, EXIT, paint } from "../cli-io.ts";
import { defaultLake } from "../defaults.ts";
import { compactTable } from "../render-result.ts";

export const extractHelp = `Usage: b3 extract [flags]

Downloads daily bars from Yahoo for the window [--from, --date − 1] and merges them
into raw/ingestion_date=<--date>/stocks_data.parquet in the lake (earlier rows stay).

Flags:
  --date D          run date YYYY-MM-DD (default: today in America/Sao_Paulo)
  --from D0         first trade date (default: the day before --date, minus 6 months)
  --tickers A,B     Yahoo symbols (default: $B3_TICKERS or ${DEFAULT_TICKERS.join(",")})
  --lake PATH|s3://bucket[/prefix]
                    where the lake is (default: $B3_LAKE or .lake/ at the repository root)
  --replay DIR      answer Yahoo requests from DIR/<SYMBOL>.json (recorded chart bodies), offline
  --concurrency N   tickers downloaded at once (default 8)
  --timeout S       seconds before one Yahoo request is abandoned (default 15)
  --lock-wait S     seconds to wait for another writer's lake lock (default 60)
  --json            print the report as JSON instead of a table
  -h, --help        show this help

Exit codes: 0 all tickers written; 3 some tickers failed, the rest written;
1 nothing written; 2 usage error.`;

export const extractFlags = {
  date: { type: "string" },
  from: { type: "string" },
  tickers: { type: "string" },
  lake: { type: "string" },
  replay: { type: "string" },
  concurrency: { type: "string" },
  timeout: { type: "string" },
  "lock-wait": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export async function extractCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: extractFlags, allowPositionals: false });
  if (values.help) {
    io.stdout.write(`${extractHelp}\n`);
    return EXIT.ok;
  }
  const report = await runExtract(values, io);
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
  return report.exitCode;
}

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

export type ExtractValues = {
  date?: string | undefined;
  from?: string | undefined;
  tickers?: string | undefined;
  lake?: string | undefined;
  replay?: string | undefined;
  concurrency?: string | undefined;
  timeout?: string | undefined;
  "lock-wait"?: string | undefined;
};

/** Parses the extract flags and runs the extract step, reporting progress per ticker on a TTY. */
export async function runExtract(values: ExtractValues, io: CliIo): Promise<ExtractReport> {
  const window = extractWindow({ runDate: values.date, from: values.from, now: io.now() });
  const tickerList = values.tickers ?? io.env.B3_TICKERS;
  const tickers =
    tickerList === undefined
      ? [...DEFAULT_TICKERS]
      : parseTickers(tickerList, values.tickers === undefined ? "B3_TICKERS" : "--tickers");
  const concurrency = positiveInt(values.concurrency, "--concurrency", 8);
  const timeoutMs = positiveInt(values.timeout, "--timeout", 15) * 1000;
  const lockWait = seconds(values["lock-wait"], "--lock-wait");
  const lake = openLakeArg(values.lake ?? defaultLake(io.env));
  const fetchChart = createChartClient({
    fetch: values.replay === undefined ? io.fetch : replayFetch(values.replay),
    timeoutMs,
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
      ...(lockWait === undefined ? {} : { lockWaitMs: lockWait * 1000 }),
      onLockWait: (holder) =>
        io.stderr.write(
          `waiting for the lake lock, held by ${holder.owner} on host ${holder.host} (pid ${holder.pid})\n`,
        ),
      onOutcome: progress ? (o) => io.stderr.write(progressLine(o, io)) : undefined,
    }),
  );
  if (report.replacedCorrupt !== undefined) {
    io.stderr.write(
      `warning: ${report.replacedCorrupt} could not be read; it was replaced by this run's rows\n`,
    );
  }
  return report;
}

/** A malformed lake location is a usage error (exit 2), not a failed write. */
function openLakeArg(location: string): LakeStorage {
  try {
    return openLake(location);
  } catch (error) {
    if (error instanceof LakeError) throw new UsageError(`--lake ${error.message}`);
    throw error;
  }
}

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not a positive whole number`);
  }
  return n;
}

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not a number of seconds (0 or more)`);
  }
  return n;
}

function progressLine(o: TickerOutcome, io: CliIo): string {
  return o.status === "ok"
    ? `  ${paint(io.stderr, "green", "✓")} ${o.ticker} ${o.rows} sessions\n`
    : `  ${paint(io.stderr, "red", "✗")} ${o.ticker} ${o.kind}\n`;
}

/** The summary table and, for failed tickers, cause and action. */
export function renderReport(report: ExtractReport): string {
  const table = compactTable(["ticker", "status", "sessions", "first", "last", "attempts"]);
  for (const o of report.outcomes) {
    table.push(
      o.status === "ok"
        ? [o.ticker, "ok", o.rows, o.firstDate, o.lastDate, o.attempts]
        : [o.ticker, o.kind, 0, "", "", o.attempts],
    );
  }
  const lines = [
    `window ${report.window.from} → ${report.window.to} (run date ${report.window.runDate})`,
    table.toString(),
  ];
  lines.push(...failureLines(report.outcomes));
  lines.push(statusLine(report));
  return `${lines.join("\n")}\n`;
}

function statusLine(report: ExtractReport): string {
  if (report.uncertainWrite !== undefined) return `error: ${report.uncertainWrite}`;
  if (report.location === undefined) return "nothing written: no ticker succeeded";
  const kept = report.rowsKept > 0 ? `, kept ${report.rowsKept} rows of earlier extracts` : "";
  return `wrote ${report.rowsWritten} rows to ${report.location}${kept}`;
}

/** One error line per distinct cause: five tickers failing the same way read as one problem. */
function failureLines(outcomes: readonly TickerOutcome[]): string[] {
  const byCause = new Map<string, { tickers: string[]; action: string }>();
  for (const o of outcomes) {
    if (o.status !== "failed") continue;
    const group = byCause.get(o.reason) ?? { tickers: [], action: o.action };
    group.tickers.push(
      o.keptRows ? `${o.ticker} (kept its ${o.keptRows} rows of earlier extracts)` : o.ticker,
    );
    byCause.set(o.reason, group);
  }
  return [...byCause].map(
    ([cause, { tickers, action }]) =>
      `error: ${tickers.join(", ")}: ${cause}\n  what to do: ${action}`,
  );
}
