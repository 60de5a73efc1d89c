/** How much of Yahoo's chart API an extract uses at once, unless told otherwise (no dependencies: cheap to load). */

/** Tickers (and chart requests) in flight at once unless told otherwise. */
export const DEFAULT_CONCURRENCY = 8;
/** How long one chart request may take unless told otherwise. */
export const DEFAULT_TIMEOUT_MS = 15_000;
