/**
 * The lake the report tests read: the recorded Yahoo bodies of three tickers run for 2020-07-01
 * (as `npm run demo` does), altered so that the report has drops and gaps to show. PETR4 lacks
 * 2020-03-10 (a gap) and gets Yahoo's holiday quote on 2020-04-15 (non_session, a gap too); VALE3
 * gets a bar of zeros on 2020-05-20 (non_positive_price, a gap). ITUB4 is whole.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TransformSummary } from "@b3/core/transform";
import { expect } from "vitest";
import { type ChartBody, loadBody } from "../../core/test/chart-bodies.ts";
import { runB3 } from "./run-b3.ts";

export const REPORT_TICKERS = ["ITUB4.SA", "PETR4.SA", "VALE3.SA"] as const;

/** The sessions each ticker misses while another ticker traded. */
export const EXPECTED_GAPS: Record<string, string[]> = {
  "ITUB4.SA": [],
  "PETR4.SA": ["2020-03-10", "2020-04-15"],
  "VALE3.SA": ["2020-05-20"],
};

const day = (ts: number) => new Date(ts * 1000).toISOString().slice(0, 10);

function alter(body: ChartBody, date: string, change: "remove" | "holiday" | "zeros"): void {
  const [result] = body.chart.result;
  const timestamps = result?.timestamp ?? [];
  const i = timestamps.findIndex((ts) => day(ts) === date);
  const quote = result?.indicators.quote[0];
  const adjclose = result?.indicators.adjclose?.[0];
  if (i < 0 || quote === undefined) throw new Error(`no bar on ${date} in the fixture`);
  const columns = [...Object.values(quote), ...Object.values(adjclose ?? {})];
  if (change === "remove") {
    timestamps.splice(i, 1);
    for (const column of columns) column.splice(i, 1);
    return;
  }
  const price = change === "zeros" ? 0 : (quote.close?.[i - 1] ?? 1);
  for (const name of ["open", "high", "low", "close"]) {
    const column = quote[name];
    if (column) column[i] = price;
  }
  if (quote.volume) quote.volume[i] = 0;
}

/** Writes the altered bodies under `folder`/replay, runs `b3 run` into `folder`/lake, and returns the lake and the run's transform summary. */
export async function buildReportLake(
  folder: string,
): Promise<{ lake: string; transform: TransformSummary }> {
  const replay = join(folder, "replay");
  await mkdir(replay, { recursive: true });
  const bodies = Object.fromEntries(REPORT_TICKERS.map((t) => [t, loadBody(t)]));
  alter(bodies["PETR4.SA"] as ChartBody, "2020-03-10", "remove");
  alter(bodies["PETR4.SA"] as ChartBody, "2020-04-15", "holiday");
  alter(bodies["VALE3.SA"] as ChartBody, "2020-05-20", "zeros");
  for (const [ticker, body] of Object.entries(bodies)) {
    await writeFile(join(replay, `${ticker}.json`), JSON.stringify(body));
  }
  const lake = join(folder, "lake");
  const out = await runB3(
    [
      "run",
      ...["--replay", replay, "--date", "2020-07-01", "--lake", lake, "--json"],
      ...["--tickers", REPORT_TICKERS.join(",")],
    ],
    { now: new Date("2020-07-01T12:00:00Z") },
  );
  expect(out.stderr).toBe("");
  expect(out.code).toBe(0);
  return { lake, transform: JSON.parse(out.stdout).transform };
}
