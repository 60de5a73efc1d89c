/**
 * The production extract for many synthetic tickers against the fake Yahoo the parent serves, in a
 * process of its own so that its memory is measured without the server's. No concurrency, retry or
 * timeout option: core's defaults apply, as in the Lambda handler.
 *
 *   node many-tickers-child.ts FAKE_YAHOO_URL LAKE_DIR RUN_DATE TICKERS
 */
import { createChartClient, extractToLake, extractWindow, fetchVia, localLake } from "../core.ts";

const [url = "", lakeDir = "", runDate = "", count = "0"] = process.argv.slice(2);
const tickers = Array.from(
  { length: Number(count) },
  (_, i) => `T${String(i + 1).padStart(4, "0")}.SA`,
);
const report = await extractToLake({
  tickers,
  window: extractWindow({ runDate }),
  lake: localLake(lakeDir),
  fetchChart: createChartClient({ fetch: fetchVia(url) }),
});
const rows = report.outcomes.map((o) => (o.status === "ok" ? o.rows : 0));
const failed = report.outcomes.filter((o) => o.status === "failed");
console.log(
  JSON.stringify({
    rowsWritten: report.rowsWritten,
    rowsPerTicker: [Math.min(...rows), Math.max(...rows)],
    failed: failed.slice(0, 3).map((f) => `${f.ticker}: ${f.reason}`),
  }),
);
