/** The extract step: download every ticker's daily bars for a window and land them as one raw Parquet file, all or nothing, with a per-ticker outcome report. */
import pLimit from "p-limit";
import pRetry from "p-retry";
import { type DailyBarsResult, type RawRow, toDailyBars } from "./daily-bars.ts";
import type { ExtractWindow } from "./extract-window.ts";
import { rawKey } from "./lake-layout.ts";
import { LakeError, type LakeStorage } from "./lake-storage.ts";
import { encodeRawParquet } from "./raw-parquet.ts";
import { decodeRawParquet } from "./raw-parquet-read.ts";
import { type FetchChart, YahooChartError, type YahooFailureKind } from "./yahoo-chart.ts";

export type TickerFailureKind = YahooFailureKind | "no_sessions";

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
      action: string;
      /** Rows of this ticker kept from an earlier raw file of the same run date (a re-run never loses them). */
      keptRows?: number;
    };

export interface ExtractReport {
  window: ExtractWindow;
  /** Lake-relative key of the raw file, set when it was written. */
  key: string | undefined;
  /** Where the raw file is (URI), set when it was written. */
  location: string | undefined;
  rowsWritten: number;
  outcomes: TickerOutcome[];
  /** 0 all good, 3 partial (some tickers failed, the rest written), 1 nothing written. */
  exitCode: 0 | 1 | 3;
}

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
  /** Tickers downloaded at once. Default 8. */
  concurrency?: number;
  retry?: RetryOptions;
  /** Called as each ticker finishes (progress display, logs). */
  onOutcome?: (outcome: TickerOutcome) => void;
}

export async function extractToLake(options: ExtractOptions): Promise<ExtractReport> {
  const { tickers, window, lake, fetchChart, concurrency = 8 } = options;
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
          shouldRetry: ({ error, attemptNumber }) => {
            if (!(error instanceof YahooChartError) || !error.retryable) return false;
            // A refused connection or an unknown host rarely heals in seconds: one retry, then
            // fail fast (a temporary DNS failure, EAI_AGAIN, is a "timeout"-like blip and gets all).
            if (error.kind === "unreachable" && !error.message.includes("EAI_AGAIN")) {
              return attemptNumber < 2;
            }
            return true;
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

  const key = rawKey(window.runDate);
  const carried = await carryForward(lake, key, outcomes);
  // Rows in ticker order, then date: deterministic files for identical input.
  const rows = tickers.flatMap((ticker) => collected.get(ticker) ?? carried.get(ticker) ?? []);
  if (collected.size === 0) {
    return { window, key: undefined, location: undefined, rowsWritten: 0, outcomes, exitCode: 1 };
  }
  // One atomic put: the file appears whole or not at all; a re-run replaces it whole.
  await lake.put(key, encodeRawParquet(rows), { contentType: "application/vnd.apache.parquet" });
  const allOk = outcomes.every((o) => o.status === "ok");
  return {
    window,
    key,
    location: lake.uri(key),
    rowsWritten: rows.length,
    outcomes,
    exitCode: allOk ? 0 : 3,
  };
}

/**
 * When a re-run of a date fails for some tickers, the raw file it replaces may hold their rows from
 * an earlier, successful run: keep those, so re-running never loses data.
 */
async function carryForward(
  lake: LakeStorage,
  key: string,
  outcomes: TickerOutcome[],
): Promise<Map<string, RawRow[]>> {
  const carried = new Map<string, RawRow[]>();
  const failed = outcomes.filter((o) => o.status === "failed");
  if (failed.length === 0 || failed.length === outcomes.length) return carried;
  let previous: RawRow[];
  try {
    previous = await decodeRawParquet(await lake.get(key));
  } catch (error) {
    if (error instanceof LakeError && error.code === "NotFound") return carried;
    throw error;
  }
  for (const outcome of failed) {
    const rows = previous.filter((r) => r.ticker === outcome.ticker);
    if (rows.length === 0 || outcome.status !== "failed") continue;
    carried.set(outcome.ticker, rows);
    outcome.keptRows = rows.length;
  }
  return carried;
}

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
    action:
      "the market may have been closed in that window or the ticker had no trades; choose an earlier --from, or check the ticker on finance.yahoo.com",
  };
}

const ACTIONS: Record<YahooFailureKind, string> = {
  not_found:
    "check the symbol on finance.yahoo.com (B3 tickers end in .SA) and fix --tickers / B3_TICKERS",
  rate_limited:
    "Yahoo is throttling this address: wait a few minutes and re-run, or lower --concurrency",
  server_error: "Yahoo is having trouble: re-run later (re-running is safe)",
  unreachable: "check the network connection or proxy; to run offline use --replay DIR",
  timeout: "Yahoo is slow or the network is: re-run later, or raise --timeout",
  invalid_response:
    "Yahoo's answer was not what we expect: re-run later; if it persists, save the body and report it (replay it with --replay DIR)",
};

function failure(ticker: string, error: unknown, attempts: number): TickerOutcome {
  if (error instanceof YahooChartError) {
    const tries = attempts > 1 ? ` (after ${attempts} attempts)` : "";
    return {
      ticker,
      status: "failed",
      kind: error.kind,
      attempts,
      reason: `${error.message}${tries}`,
      action: ACTIONS[error.kind],
    };
  }
  // A bug of ours, not Yahoo's: keep the message but say so.
  return {
    ticker,
    status: "failed",
    kind: "invalid_response",
    attempts,
    reason: `unexpected error ${(error as Error)?.message ?? String(error)}`,
    action: "please report this as a bug with the command you ran",
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
    tickersOk: report.outcomes.filter((o) => o.status === "ok").map((o) => o.ticker),
    tickersFailed: failed.map((o) => ({
      ticker: o.ticker,
      kind: o.kind,
      reason: o.reason,
      action: o.action,
    })),
    exitCode: report.exitCode,
  };
}
