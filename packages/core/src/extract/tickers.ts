/** Which symbols to extract: the default B3 list and strict parsing of user-given lists. */
import { UsageError } from "../errors.ts";

export const DEFAULT_TICKERS = [
  "TOTS3.SA",
  "LWSA3.SA",
  "POSI3.SA",
  "INTB3.SA",
  "WEGE3.SA",
] as const;

// Yahoo symbols: letters, digits and . - ^ = (e.g. PETR4.SA, ^BVSP, BRL=X).
const SYMBOL = /^[A-Z0-9^][A-Z0-9.^=-]{0,31}$/;

/** Parses `A,B,C` into upper-cased, de-duplicated symbols; rejects empty lists and malformed symbols. `what` names the input in the error. */
export function parseTickers(list: string, what = "the ticker list"): string[] {
  const symbols = list
    .split(",")
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== "");
  if (symbols.length === 0) {
    throw new UsageError("MissingValue", `${what} is empty`, {
      remedy: "give comma-separated Yahoo symbols, e.g. PETR4.SA,VALE3.SA",
    });
  }
  const bad = symbols.filter((s) => !SYMBOL.test(s));
  if (bad.length > 0) {
    throw new UsageError(
      "InvalidValue",
      `${what} has invalid symbol(s) ${bad.map((s) => JSON.stringify(s)).join(", ")}`,
      { remedy: "use Yahoo symbols such as PETR4.SA (B3 tickers end in .SA)" },
    );
  }
  return [...new Set(symbols)];
}

/** The tickers a scheduled run extracts: `B3_TICKERS` when set, else the defaults. */
export function tickersFromEnv(value: string | undefined): string[] {
  return value === undefined || value.trim() === ""
    ? [...DEFAULT_TICKERS]
    : parseTickers(value, "B3_TICKERS");
}
