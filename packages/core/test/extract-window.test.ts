import { describe, expect, it } from "vitest";
import { UsageError } from "../src/errors.ts";
import {
  addMonths,
  extractWindow,
  localDate,
  parseIsoDate,
  startOfLocalDay,
} from "../src/extract/index.ts";

describe("calendar", () => {
  it.each([
    ["2026-08-31", -6, "2026-02-28"],
    ["2024-08-31", -6, "2024-02-29"],
    ["2026-11-25", -6, "2026-05-25"],
    ["2026-01-15", -1, "2025-12-15"],
  ])("addMonths(%s, %i) = %s (clamped to the month's end)", (date, months, expected) => {
    expect(addMonths(date, months)).toBe(expected);
  });

  it.each(["2026-02-29", "2026-13-01", "26-01-01", "2026-1-1", "", "2026-01-01T00:00"])(
    "rejects %j with a usage error naming the format",
    (value) => {
      expect(() => parseIsoDate(value, "--date")).toThrow(UsageError);
      expect(() => parseIsoDate(value, "--date")).toThrow(
        expect.objectContaining({
          message: `--date ${JSON.stringify(value)} is not a valid date`,
          remedy: expect.stringMatching(/^use YYYY-MM-DD/),
        }),
      );
    },
  );

  it("São Paulo midnight, including the DST years before 2019", () => {
    expect(startOfLocalDay("2026-03-10").toISOString()).toBe("2026-03-10T03:00:00.000Z"); // UTC−3
    expect(startOfLocalDay("2018-01-15").toISOString()).toBe("2018-01-15T02:00:00.000Z"); // summer time, UTC−2
    // 2018-11-04: clocks jumped from 00:00 to 01:00, so the day began at 01:00 (UTC−2).
    expect(startOfLocalDay("2018-11-04").toISOString()).toBe("2018-11-04T03:00:00.000Z");
  });

  it("the local date of an instant", () => {
    expect(localDate(new Date("2026-11-26T02:00:00Z"))).toBe("2026-11-25");
    expect(localDate(new Date("2026-11-26T03:00:00Z"))).toBe("2026-11-26");
    expect(localDate(new Date("2017-11-15T01:30:00Z"), "Asia/Shanghai")).toBe("2017-11-15");
  });
});

describe("extractWindow", () => {
  it("defaults to today in São Paulo and D−1 minus six months", () => {
    // 02:00 UTC on the 26th is still the 25th in São Paulo.
    const window = extractWindow({ now: new Date("2026-11-26T02:00:00Z") });
    expect(window).toEqual({
      runDate: "2026-11-25",
      from: "2026-05-24",
      to: "2026-11-24",
      period1: new Date("2026-05-24T03:00:00Z"),
      period2: new Date("2026-11-25T03:00:00Z"),
    });
  });

  it("takes an explicit run date and start", () => {
    expect(extractWindow({ runDate: "2020-07-01", from: "2020-06-01" })).toMatchObject({
      from: "2020-06-01",
      to: "2020-06-30",
    });
  });

  it("rejects a start after D−1", () => {
    expect(() => extractWindow({ runDate: "2020-07-01", from: "2020-07-01" })).toThrow(
      expect.objectContaining({
        kind: "usage",
        message:
          "window start 2020-07-01 is after the last day of the window (2020-06-30, the day before the run date 2020-07-01)",
        remedy: "choose an earlier window start or a later run date",
        settings: ["from", "runDate"],
      }),
    );
  });
});
