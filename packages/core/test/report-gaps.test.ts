import { describe, expect, it } from "vitest";
import { historyGaps } from "../src/report/gaps.ts";

describe("historyGaps", () => {
  // 2024-03-04 is a Monday.
  const sessions = {
    A: ["2024-03-04", "2024-03-05", "2024-03-06", "2024-03-08", "2024-03-11"],
    B: ["2024-03-05", "2024-03-07", "2024-03-08"],
    C: ["2024-03-07"],
  };

  it("a ticker misses the market's days between its first and last session, not those outside", () => {
    const gaps = historyGaps(sessions);
    expect(gaps.missingByTicker).toEqual({
      A: ["2024-03-07"],
      B: ["2024-03-06"],
      C: [],
    });
    expect(gaps.marketDays).toEqual([
      "2024-03-04",
      "2024-03-05",
      "2024-03-06",
      "2024-03-07",
      "2024-03-08",
      "2024-03-11",
    ]);
  });

  it("weekdays without any session are listed apart; weekends are not", () => {
    const gaps = historyGaps({ A: ["2024-03-01", "2024-03-05", "2024-03-06"], B: ["2024-03-06"] });
    // Friday 1st, weekend, Monday 4th without any session, Tuesday 5th.
    expect(gaps.weekdaysWithoutSession).toEqual(["2024-03-04"]);
    // A day no ticker traded is not a gap of a ticker.
    expect(gaps.missingByTicker.A).toEqual([]);
  });

  it("an empty lake has no gaps", () => {
    expect(historyGaps({})).toEqual({
      marketDays: [],
      missingByTicker: {},
      weekdaysWithoutSession: [],
    });
  });
});
