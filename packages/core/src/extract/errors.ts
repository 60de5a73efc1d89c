/** The extract domain's errors: a chart download that failed, and what to do about each way a ticker can fail. */
import { B3Error, type Remedy } from "../errors.ts";

/** Why a symbol's download failed; `retryable` codes are retried with backoff. */
export type YahooFailureKind =
  | "not_found"
  | "rate_limited"
  | "server_error"
  | "unreachable"
  | "timeout"
  | "invalid_response"
  | "wrong_symbol";

/** Why a ticker produced no rows: its download failed, or it had no session in the window. */
export type TickerFailureKind = YahooFailureKind | "no_sessions";

/** What to do about each way a ticker fails. */
export const TICKER_REMEDIES: Record<TickerFailureKind, Required<Remedy>> = {
  not_found: {
    remedy: "check the symbol on finance.yahoo.com (B3 tickers end in .SA) and fix the ticker list",
    settings: ["tickers"],
  },
  rate_limited: {
    remedy:
      "Yahoo is throttling this address: wait a few minutes and re-run, or lower the concurrency",
    settings: ["concurrency"],
  },
  server_error: {
    remedy: "Yahoo is having trouble: re-run later (re-running is safe)",
    settings: [],
  },
  unreachable: {
    remedy: "check the network connection or proxy; to run offline, replay recorded chart bodies",
    settings: ["replay"],
  },
  timeout: {
    remedy: "Yahoo is slow or the network is: re-run later, or raise the request timeout",
    settings: ["timeout"],
  },
  invalid_response: {
    remedy:
      "Yahoo's answer was not what we expect: re-run later; if it persists, save the body and report it (it can be replayed)",
    settings: ["replay"],
  },
  wrong_symbol: {
    remedy:
      "the answer was for another symbol, so it was not written: re-run later; when replaying recorded bodies, check that each file holds its own symbol's chart",
    settings: [],
  },
  no_sessions: {
    remedy:
      "the market may have been closed in that window or the ticker had no trades; choose an earlier window start, or check the ticker on finance.yahoo.com",
    settings: ["from"],
  },
};

/** A failed chart download, classified so callers can say what to do. */
export class YahooChartError extends B3Error<YahooFailureKind> {
  override name = "YahooChartError";
  readonly kind = "yahoo";
  readonly symbol: string;
  constructor(code: YahooFailureKind, symbol: string, message: string, cause?: unknown) {
    super(code, message, { ...TICKER_REMEDIES[code], cause });
    this.symbol = symbol;
  }
  get retryable(): boolean {
    return (
      this.code === "rate_limited" ||
      this.code === "server_error" ||
      this.code === "unreachable" ||
      this.code === "timeout"
    );
  }
}
