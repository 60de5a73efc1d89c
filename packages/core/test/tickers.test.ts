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
    ["", /--tickers is empty/],
    [" , ,", /--tickers is empty/],
    ["PETR4.SA;VALE3.SA", /invalid symbol\(s\) "PETR4.SA;VALE3.SA"/],
    ["PETR4 SA", /invalid symbol/],
    ["../../etc/passwd", /invalid symbol/],
  ])("rejects %j", (list, message) => {
    expect(() => parseTickers(list)).toThrow(UsageError);
    expect(() => parseTickers(list)).toThrow(message);
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
