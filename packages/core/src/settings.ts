/** The defaults and parsers of the settings a command line takes, without the engines behind them: cheap to load, so a command pays only for the domain it runs. */

export { envSwitchOn } from "./env-switch.ts";
export { B3_TIME_ZONE, parseIsoDate } from "./extract/calendar.ts";
export { DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS } from "./extract/chart-limits.ts";
export { DEFAULT_TICKERS, parseTickers } from "./extract/tickers.ts";
export { DEFAULT_WINDOW_MONTHS, defaultRunDate } from "./extract/window.ts";
export { DEFAULT_LOCK_WAIT_MS } from "./lake/lock.ts";
