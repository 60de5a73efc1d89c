import { describe, expect, it } from "vitest";
import { UsageError } from "../src/errors.ts";
import { DEFAULT_TICKERS, parseTickers, tickersFromEnv } from "../src/extract/index.ts";

describe("tickers", () => {
  it("parses, upper-cases, trims and de-duplicates", () => {
    expect(parseTickers(" petr4.sa, VALE3.SA,PETR4.SA ,^BVSP,BRL=X")).toEqual([
      "PETR4.SA",
      "VALE3.SA",
      "^BVSP",
      "BRL=X",
    ]);
  });

  it.each([
    ["", /^the ticker list is empty$/],
    [" , ,", /^the ticker list is empty$/],
    ["PETR4.SA;VALE3.SA", /invalid symbol\(s\) "PETR4.SA;VALE3.SA"/],
    ["PETR4 SA", /invalid symbol/],
    ["../../etc/passwd", /invalid symbol/],
  ])("rejects %j", (list, message) => {
    expect(() => parseTickers(list)).toThrow(UsageError);
    expect(() => parseTickers(list)).toThrow(message);
  });

  it("says what to do apart from what is wrong, and names the input as the caller does", () => {
    expect(() => parseTickers("", "--tickers")).toThrow(
      expect.objectContaining({
        message: "--tickers is empty",
        remedy: "give comma-separated Yahoo symbols, e.g. PETR4.SA,VALE3.SA",
      }),
    );
  });

  it("B3_TICKERS or the seed's five", () => {
    expect(tickersFromEnv(undefined)).toEqual([...DEFAULT_TICKERS]);
    expect(tickersFromEnv("  ")).toEqual([
      "TOTS3.SA",
      "LWSA3.SA",
      "POSI3.SA",
      "INTB3.SA",
      "WEGE3.SA",
    ]);
    expect(tickersFromEnv("wege3.sa")).toEqual(["WEGE3.SA"]);
    expect(() => tickersFromEnv("WEGE3.SA,bad ticker")).toThrow(/B3_TICKERS has invalid symbol/);
  });
});
