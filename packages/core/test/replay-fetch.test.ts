import { describe, expect, it } from "vitest";
import { replayFetch, YAHOO_NOT_FOUND_BODY } from "../src/extract/index.ts";
import { FIXTURES } from "./chart-bodies.ts";

const chartUrl = (symbol: string, period1: string, period2: string) =>
  `https://query2.finance.yahoo.com/v8/finance/chart/${symbol}?interval=1d&period1=${Date.parse(period1) / 1000}&period2=${Date.parse(period2) / 1000}`;

describe("replayFetch", () => {
  const replay = replayFetch(FIXTURES);

  it("serves only the bars inside [period1, period2), in every indicator array", async () => {
    const response = await replay(
      chartUrl("VALE3.SA", "2019-01-02T00:00:00Z", "2019-01-05T00:00:00Z"),
    );
    expect(response.status).toBe(200);
    const body = await response.json();
    const [result] = body.chart.result;
    expect(result.timestamp.map((t: number) => new Date(t * 1000).toISOString())).toEqual([
      "2019-01-02T13:00:00.000Z",
      "2019-01-03T13:00:00.000Z",
      "2019-01-04T13:00:00.000Z",
    ]);
    expect(result.indicators.quote[0].close).toHaveLength(3);
    expect(result.indicators.adjclose[0].adjclose).toHaveLength(3);
    expect(result.meta.symbol).toBe("VALE3.SA");
  });

  it("answers Yahoo's empty shape when no bar is in the period", async () => {
    const body = await (
      await replay(chartUrl("VALE3.SA", "2010-01-01T00:00:00Z", "2010-02-01T00:00:00Z"))
    ).json();
    expect(body.chart.result[0].timestamp).toBeUndefined();
    expect(body.chart.result[0].indicators.quote).toEqual([{}]);
  });

  it("answers Yahoo's 404 body for a symbol without a file", async () => {
    const response = await replay(
      chartUrl("NOPE3.SA", "2018-01-02T00:00:00Z", "2018-01-05T00:00:00Z"),
    );
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual(YAHOO_NOT_FOUND_BODY);
  });
});
