/**
 * Child process of the many-tickers benchmark: runs the production extract (default concurrency,
 * retries and timeout) against the fake Yahoo the parent serves, into a local lake, and prints
 * one JSON line with its timings and its own peak RSS. Only this process's memory is measured.
 */
const started = performance.now();
const { createChartClient, extractToLake, extractWindow, localLake } = await import("@b3/core");
const loadedMs = performance.now() - started;
const maxRssAfterLoadKiB = process.resourceUsage().maxRSS;

interface ChildConfig {
  fakeYahooUrl: string;
  lakeDir: string;
  runDate: string;
  tickers: string[];
}
const config = JSON.parse(process.argv[2] ?? "{}") as ChildConfig;

// Yahoo's URLs, sent to the fake server instead (the path and query are what it reads).
const toFakeYahoo: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  return fetch(`${config.fakeYahooUrl}${url.pathname}${url.search}`, init);
};

let lastOutcomeMs = 0;
const extractStart = performance.now();
const report = await extractToLake({
  tickers: config.tickers,
  window: extractWindow({ runDate: config.runDate }),
  lake: localLake(config.lakeDir),
  fetchChart: createChartClient({ fetch: toFakeYahoo }),
  onOutcome: () => {
    lastOutcomeMs = performance.now();
  },
});
const extractEnd = performance.now();

const failed = report.outcomes.filter((o) => o.status === "failed");
const rowsPerTicker = report.outcomes.map((o) => (o.status === "ok" ? o.rows : 0));
process.stdout.write(
  `${JSON.stringify({
    loadedMs,
    extractMs: extractEnd - extractStart,
    downloadsMs: lastOutcomeMs - extractStart,
    writeMs: extractEnd - lastOutcomeMs,
    rowsWritten: report.rowsWritten,
    rowsPerTicker: { min: Math.min(...rowsPerTicker), max: Math.max(...rowsPerTicker) },
    tickersOk: report.outcomes.length - failed.length,
    tickersFailed: failed.length,
    failures: failed.slice(0, 3).map((f) => `${f.ticker}: ${f.reason}`),
    attempts: report.outcomes.reduce((sum, o) => sum + o.attempts, 0),
    exitCode: report.exitCode,
    location: report.location ?? null,
    maxRssAfterLoadKiB,
    maxRssKiB: process.resourceUsage().maxRSS,
  })}\n`,
);
