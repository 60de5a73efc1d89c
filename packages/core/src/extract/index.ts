/** The extract domain: Yahoo chart client, extraction windows, daily bars and the extract run that lands them as raw Parquet. */
export * from "./calendar.ts";
export * from "./daily-bars.ts";
export * from "./errors.ts";
export * from "./extract.ts";
export * from "./replay-fetch.ts";
export * from "./replay-misses.ts";
export * from "./tickers.ts";
export * from "./window.ts";
export * from "./yahoo-chart.ts";
