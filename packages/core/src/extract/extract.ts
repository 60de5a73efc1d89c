/** The extract step: download every ticker's daily bars for a window and merge them into the run date's raw Parquet file, with a per-ticker outcome report. */
import pLimit from "p-limit";
import pRetry from "p-retry";
import type { Setting } from "../errors.ts";
import { LakeError, RawFileError } from "../lake/errors.ts";
import { rawKey } from "../lake/layout.ts";
import { type LockInfo, withLakeLock } from "../lake/lock.ts";
import { encodeRawParquet } from "../lake/raw-parquet.ts";
import { decodeRawParquet } from "../lake/raw-parquet-read.ts";
import type { LakeStorage } from "../lake/storage.ts";
import { type DailyBarsResult, type RawRow, toDailyBars } from "./daily-bars.ts";
import { TICKER_REMEDIES, type TickerFailureKind, YahooChartError } from "./errors.ts";
import type { ExtractWindow } from "./window.ts";
import { DEFAULT_CONCURRENCY, excerpt, type FetchChart } from "./yahoo-chart.ts";

export type TickerOutcome =
  | {
      ticker: string;
      status: "ok";
      rows: number;
      firstDate: string;
      lastDate: string;
      attempts: number;
      emptyBars: number;
      duplicateBars: number;
    }
  | {
      ticker: string;
      status: "failed";
      kind: TickerFailureKind;
      attempts: number;
      /** What went wrong with this ticker (the ticker is in `ticker`). */
      reason: string;
      /** What the person running it can do about it. */
      remedy: string;
      /** The settings the remedy is about. */
      settings: readonly Setting[];
      /** Rows of this ticker kept from earlier extracts of the same run date (a re-run never loses them). */
      keptRows?: number;
    };

export interface ExtractReport {
  window: ExtractWindow;
  /** Lake-relative key of the raw file, set when it was written (or may have been). */
  key: string | undefined;
  /** Where the raw file is (URI), set when it was written. */
  location: string | undefined;
  /** Rows this run downloaded and added to the raw file. */
  rowsWritten: number;
  /** Rows of earlier extracts of the run date that the raw file still holds. */
  rowsKept: number;
  /** The URI of an earlier raw file that could not be read and was replaced by this run's rows. */
  replacedCorrupt?: string;
  /** Set when the write failed in a way that may still have stored the file: what happened and what to do. */
  uncertainWrite?: string;
  outcomes: TickerOutcome[];
  status: ExtractStatus;
}

/**
 * What the run achieved: `ok` every ticker written; `partial` some tickers failed and the others were
 * written; `failed` nothing written, or the write not confirmed (`uncertainWrite`).
 */
export type ExtractStatus = "ok" | "partial" | "failed";

export interface RetryOptions {
  /** Retries after the first attempt, for 429, 5xx, network errors and timeouts. Default 4. */
  retries?: number;
  /** First backoff in ms; doubles each retry, with jitter. Default 500. */
  minTimeoutMs?: number;
  /** Backoff ceiling in ms. Default 8 000. */
  maxTimeoutMs?: number;
}

export interface ExtractOptions {
  tickers: readonly string[];
  window: ExtractWindow;
  lake: LakeStorage;
  fetchChart: FetchChart;
  /** The clock: stamps `ingested_at`. */
  now?: () => Date;
  /** Tickers downloaded at once. Default `DEFAULT_CONCURRENCY`. */
  concurrency?: number;
  retry?: RetryOptions;
  /** How long to wait for another writer's lake lock before giving up; default the lock's own. */
  lockWaitMs?: number;
  /** Called once if another writer holds the lake lock and the wait starts. */
  onLockWait?: (holder: LockInfo) => void;
  /** Called as each ticker finishes (progress display, logs). */
  onOutcome?: (outcome: TickerOutcome) => void;
  /** Called when a ticker's attempt failed and it will be tried again (progress display, logs). */
  onRetry?: (retry: { ticker: string; attempt: number; reason: string }) => void;
}

/** Whether a failed chart request is worth another attempt. */
function shouldRetry(error: Error, attemptNumber: number): boolean {
  if (!(error instanceof YahooChartError) || !error.retryable) return false;
  // A refused connection or an unknown host rarely heals in seconds: one retry, then fail fast
  // (a temporary DNS failure, EAI_AGAIN, is a "timeout"-like blip and gets all).
  if (error.code === "unreachable" && !error.message.includes("EAI_AGAIN")) {
    return attemptNumber < 2;
  }
  return true;
}

export async function extractToLake(options: ExtractOptions): Promise<ExtractReport> {
  const { tickers, window, lake, fetchChart, concurrency = DEFAULT_CONCURRENCY } = options;
  const { retries = 4, minTimeoutMs = 500, maxTimeoutMs = 8_000 } = options.retry ?? {};
  const ingestedAt = (options.now ?? (() => new Date()))();
  const limit = pLimit(concurrency);
  const collected = new Map<string, RawRow[]>();

  const extractOne = async (ticker: string): Promise<TickerOutcome> => {
    let attempts = 0;
    try {
      const chart = await pRetry(
        () => {
          attempts++;
          return fetchChart(ticker, window);
        },
        {
          retries,
          minTimeout: minTimeoutMs,
          maxTimeout: maxTimeoutMs,
          factor: 2,
          randomize: true,
          shouldRetry: ({ error, attemptNumber, retriesLeft }) => {
            const again = shouldRetry(error, attemptNumber);
            if (again && retriesLeft > 0) {
              options.onRetry?.({ ticker, attempt: attemptNumber, reason: error.message });
            }
            return again;
          },
        },
      );
      const bars = toDailyBars(chart.quotes, {
        ticker,
        from: window.from,
        to: window.to,
        ingestedAt,
        timeZone: chart.meta.exchangeTimezoneName,
      });
      if (bars.rows.length === 0) return noSessions(ticker, window, bars, attempts);
      collected.set(ticker, bars.rows);
      return {
        ticker,
        status: "ok",
        rows: bars.rows.length,
        firstDate: bars.rows[0]?.trade_date ?? window.from,
        lastDate: bars.rows.at(-1)?.trade_date ?? window.to,
        attempts,
        emptyBars: bars.emptyBars,
        duplicateBars: bars.duplicateBars,
      };
    } catch (error) {
      return failure(ticker, error, attempts);
    }
  };

  const outcomes = await Promise.all(
    tickers.map((ticker) =>
      limit(async () => {
        const outcome = await extractOne(ticker);
        options.onOutcome?.(outcome);
        return outcome;
      }),
    ),
  );

  const fresh = tickers.flatMap((ticker) => collected.get(ticker) ?? []);
  const report: ExtractReport = {
    window,
    key: undefined,
    location: undefined,
    rowsWritten: 0,
    rowsKept: 0,
    outcomes,
    status: "failed",
  };
  if (fresh.length === 0) return report;
  const key = rawKey(window.runDate);
  const lockOptions = {
    owner: `extract of ${window.runDate}`,
    ...(options.lockWaitMs === undefined ? {} : { waitMs: options.lockWaitMs }),
    ...(options.onLockWait === undefined ? {} : { onWait: options.onLockWait }),
  };
  // Locked only around read-old + write-new, so no other writer slips in between and loses rows;
  // the downloads need no lock.
  return withLakeLock(lake, lockOptions, async (lock) => {
    const previous = await readPrevious(lake, key);
    if (previous.corrupt) report.replacedCorrupt = lake.uri(key);
    for (const outcome of outcomes) {
      if (outcome.status !== "failed") continue;
      const kept = previous.rows.filter((r) => r.ticker === outcome.ticker).length;
      if (kept > 0) outcome.keptRows = kept;
    }
    const rows = mergeRows(previous.rows, fresh);
    await lock.assertHeld();
    try {
      // One atomic put: readers see the old file or the merged one, never a mix.
      await lake.put(key, encodeRawParquet(rows), {
        contentType: "application/vnd.apache.parquet",
      });
    } catch (error) {
      // A put whose answer was lost (a timeout, a dropped connection, or a retry after one) may
      // have stored the object: say so rather than "nothing was written".
      if (!(error instanceof LakeError && error.code === "Unreachable")) throw error;
      report.key = key;
      report.uncertainWrite = `${error.message}; the raw file may or may not have been written; re-run the date (safe: it merges)`;
      return report;
    }
    return Object.assign(report, {
      key,
      location: lake.uri(key),
      rowsWritten: fresh.length,
      rowsKept: rows.length - fresh.length,
      status: outcomes.every((o) => o.status === "ok") ? "ok" : "partial",
    });
  });
}

/** The rows of the date's raw file so far; none when there is none, or when it is unreadable (then `corrupt`). */
async function readPrevious(
  lake: LakeStorage,
  key: string,
): Promise<{ rows: RawRow[]; corrupt?: true }> {
  let bytes: Uint8Array;
  try {
    bytes = await lake.get(key);
  } catch (error) {
    if (error instanceof LakeError && error.code === "NotFound") return { rows: [] };
    throw error;
  }
  try {
    return { rows: await decodeRawParquet(bytes) };
  } catch (error) {
    // Its rows cannot be recovered by us; refusing would block the date forever.
    if (error instanceof RawFileError) return { rows: [], corrupt: true };
    throw error;
  }
}

/**
 * Every earlier row plus the new ones: the transform resolves versions per key by `ingested_at`,
 * so earlier rows stay. An earlier row with the same ticker, date and `ingested_at` as a new one
 * is the same version sent again, and gives way (a re-run stamped at the same instant is a no-op).
 * Sorted by ticker, trade date, `ingested_at`: identical input gives an identical file.
 */
function mergeRows(previous: readonly RawRow[], fresh: readonly RawRow[]): RawRow[] {
  const version = (r: RawRow) => `${r.ticker}\u0000${r.trade_date}\u0000${r.ingested_at.getTime()}`;
  const replaced = new Set(fresh.map(version));
  return [...previous.filter((r) => !replaced.has(version(r))), ...fresh].sort(
    (a, b) =>
      compare(a.ticker, b.ticker) ||
      compare(a.trade_date, b.trade_date) ||
      a.ingested_at.getTime() - b.ingested_at.getTime(),
  );
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function noSessions(
  ticker: string,
  window: ExtractWindow,
  bars: DailyBarsResult,
  attempts: number,
): TickerOutcome {
  const why =
    bars.emptyBars > 0 && bars.outsideWindow === 0
      ? `all ${bars.emptyBars} bars Yahoo sent have no prices (null)`
      : `Yahoo sent no session between ${window.from} and ${window.to}`;
  return {
    ticker,
    status: "failed",
    kind: "no_sessions",
    attempts,
    reason: why,
    ...TICKER_REMEDIES.no_sessions,
  };
}

function failure(ticker: string, error: unknown, attempts: number): TickerOutcome {
  if (error instanceof YahooChartError) {
    const tries = attempts > 1 ? ` (after ${attempts} attempts)` : "";
    return {
      ticker,
      status: "failed",
      kind: error.code,
      attempts,
      reason: `${error.message}${tries}`,
      ...TICKER_REMEDIES[error.code],
    };
  }
  // A bug of ours, not Yahoo's: keep the message but say so.
  return {
    ticker,
    status: "failed",
    kind: "invalid_response",
    attempts,
    reason: `unexpected error ${excerpt((error as Error)?.message ?? String(error))}`,
    remedy: "please report this as a bug with the command you ran",
    settings: [],
  };
}

/** The report reduced to what a log line or a Lambda result needs. */
export function reportSummary(report: ExtractReport) {
  const failed = report.outcomes.filter((o) => o.status === "failed");
  return {
    runDate: report.window.runDate,
    window: { from: report.window.from, to: report.window.to },
    location: report.location ?? null,
    rowsWritten: report.rowsWritten,
    rowsKept: report.rowsKept,
    replacedCorrupt: report.replacedCorrupt ?? null,
    uncertainWrite: report.uncertainWrite ?? null,
    tickersOk: report.outcomes.filter((o) => o.status === "ok").map((o) => o.ticker),
    tickersFailed: failed.map((o) => ({
      ticker: o.ticker,
      kind: o.kind,
      reason: o.reason,
      remedy: o.remedy,
    })),
    status: report.status,
  };
}
