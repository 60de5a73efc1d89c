/** Daily bars of one symbol from Yahoo's v8 chart API through yahoo-finance2 (chart module only), validated with zod. */
import createYahooFinance from "yahoo-finance2/createYahooFinance";
import chart from "yahoo-finance2/modules/chart";
import * as z from "zod";
import { DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS } from "./chart-limits.ts";
import { YahooChartError } from "./errors.ts";
import type { ExtractWindow } from "./window.ts";

const price = z.number().finite().nullish();
const chartQuote = z.object({
  date: z.date(),
  open: price,
  high: price,
  low: price,
  close: price,
  adjclose: price,
  volume: z.number().int().nullish(),
});
const chartResult = z.object({
  meta: z.looseObject({ symbol: z.string(), exchangeTimezoneName: z.string().optional() }),
  quotes: z.array(chartQuote),
});
export type ChartQuote = z.infer<typeof chartQuote>;
export type ChartResult = z.infer<typeof chartResult>;

export { DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS };

export interface ChartClientOptions {
  /** The fetch Yahoo is reached through (a replay, a test server, or the global fetch). */
  fetch?: typeof fetch;
  /** Abort one HTTP request after this many milliseconds. Default `DEFAULT_TIMEOUT_MS`. */
  timeoutMs?: number;
  /** Requests in flight at once inside yahoo-finance2's own queue. Default `DEFAULT_CONCURRENCY`. */
  concurrency?: number;
}

export type FetchChart = (symbol: string, window: ExtractWindow) => Promise<ChartResult>;

const YahooFinance = createYahooFinance({ modules: { chart } });
const silentLogger = { info() {}, warn() {}, error() {}, debug() {}, dir() {} };

/** Creates a function that downloads one symbol's daily chart for a window; failures are `YahooChartError`s. */
export function createChartClient(options: ChartClientOptions = {}): FetchChart {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, concurrency = DEFAULT_CONCURRENCY } = options;
  const baseFetch = options.fetch ?? globalThis.fetch;
  // Each request gets its own deadline, so one stalled connection cannot hold a run hostage.
  const timedFetch: typeof fetch = (input, init) =>
    baseFetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const yahoo = new YahooFinance({
    fetch: timedFetch,
    versionCheck: false, // it would call the npm registry on validation errors
    queue: { concurrency },
    validation: { logErrors: false, logOptionsErrors: false },
    logger: silentLogger,
  });
  return async (symbol, window) => {
    let result: unknown;
    try {
      // yahoo-finance2's own schema rejects real bodies (e.g. meta without regularMarketPrice);
      // we validate exactly the fields we use with zod below instead.
      result = await yahoo.chart(
        symbol,
        { period1: window.period1, period2: window.period2, interval: "1d", events: "" },
        { validateResult: false },
      );
    } catch (error) {
      throw classify(symbol, error, timeoutMs);
    }
    const parsed = chartResult.safeParse(result);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new YahooChartError(
        "invalid_response",
        symbol,
        `Yahoo's chart for ${symbol} failed validation at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
        parsed.error,
      );
    }
    // Another symbol's bars stored under this ticker would be wrong data that looks right.
    const answered = parsed.data.meta.symbol;
    if (answered.toUpperCase() !== symbol.toUpperCase()) {
      throw new YahooChartError(
        "wrong_symbol",
        symbol,
        `Yahoo answered with the chart of ${answered} when asked for ${symbol}`,
      );
    }
    return parsed.data;
  };
}

/** At most `max` characters of `text`, whitespace collapsed: error messages quote Yahoo's bodies, never whole pages. */
export function excerpt(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function classify(symbol: string, error: unknown, timeoutMs: number): YahooChartError {
  const e = error as { name?: string; message?: string; code?: unknown; cause?: unknown };
  const message = e.message ?? String(error);
  if (e.name === "HTTPError" && typeof e.code === "number") {
    if (e.code === 404) return notFound(symbol, error);
    if (e.code === 429) {
      return new YahooChartError(
        "rate_limited",
        symbol,
        "Yahoo answered 429 Too Many Requests",
        error,
      );
    }
    if (e.code >= 500) {
      return new YahooChartError("server_error", symbol, `Yahoo answered HTTP ${e.code}`, error);
    }
    // yahoo-finance2 puts the whole body (often an HTML page) in the message.
    return new YahooChartError(
      "invalid_response",
      symbol,
      `Yahoo answered HTTP ${e.code}: ${excerpt(message)}`,
      error,
    );
  }
  // yahoo-finance2 quotes the whole body when it is not JSON (first, so a page saying "not found" stays a bad answer).
  const notJson = /response was not parsable\.\s+Response: "([\s\S]*)"\.\s+Error: "/.exec(message);
  if (notJson) {
    return new YahooChartError(
      "invalid_response",
      symbol,
      `Yahoo's answer is not JSON (not parsable): "${excerpt(notJson[1] ?? "")}"`,
      error,
    );
  }
  if (/no data found|symbol may be delisted|not found/i.test(message))
    return notFound(symbol, error);
  if (e.name === "TimeoutError" || e.name === "AbortError") {
    return new YahooChartError(
      "timeout",
      symbol,
      `no answer from Yahoo within ${timeoutMs / 1000} s`,
      error,
    );
  }
  if (e.name === "TypeError" && /fetch failed/i.test(message)) {
    const { code: errno, hostname } = (e.cause ?? {}) as { code?: string; hostname?: string };
    const code = errno ? ` (${[errno, hostname].filter(Boolean).join(" ")})` : "";
    return new YahooChartError("unreachable", symbol, `Yahoo unreachable${code}`, error);
  }
  return new YahooChartError(
    "invalid_response",
    symbol,
    `Yahoo's answer could not be read: ${excerpt(message)}`,
    error,
  );
}

function notFound(symbol: string, cause: unknown): YahooChartError {
  return new YahooChartError(
    "not_found",
    symbol,
    "Yahoo has no data for this symbol (it may be delisted or mistyped)",
    cause,
  );
}
