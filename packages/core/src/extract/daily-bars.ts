/** Turns one symbol's Yahoo quotes into raw rows: exchange-local trade dates, all-null bars dropped, one bar per day (the last Yahoo sent), window-bounded, date-sorted. */
import { B3_TIME_ZONE, localDate } from "./calendar.ts";
import type { ChartQuote } from "./yahoo-chart.ts";

/** One row of the raw table. */
export interface RawRow {
  ticker: string;
  /** `YYYY-MM-DD`, exchange-local. */
  trade_date: string;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  adj_close: number | null;
  volume: number | null;
  ingested_at: Date;
}

export interface DailyBarsResult {
  rows: RawRow[];
  /** Bars Yahoo sent whose prices were all null. */
  emptyBars: number;
  /** Extra bars for a day already seen (the last one wins). */
  duplicateBars: number;
  /** Bars outside [from, to], e.g. today's unfinished session. */
  outsideWindow: number;
}

export interface DailyBarsOptions {
  ticker: string;
  from: string;
  to: string;
  ingestedAt: Date;
  /** The exchange's IANA zone from Yahoo's meta; default B3's. */
  timeZone?: string | undefined;
}

export function toDailyBars(
  quotes: readonly ChartQuote[],
  options: DailyBarsOptions,
): DailyBarsResult {
  const { ticker, from, to, ingestedAt, timeZone = B3_TIME_ZONE } = options;
  const byDate = new Map<string, RawRow>();
  let emptyBars = 0;
  let duplicateBars = 0;
  let outsideWindow = 0;
  for (const q of quotes) {
    const prices = [q.open, q.high, q.low, q.close, q.adjclose];
    if (prices.every((p) => p === null || p === undefined)) {
      emptyBars++;
      continue;
    }
    const tradeDate = localDate(q.date, timeZone);
    if (tradeDate < from || tradeDate > to) {
      outsideWindow++;
      continue;
    }
    if (byDate.has(tradeDate)) duplicateBars++;
    byDate.set(tradeDate, {
      ticker,
      trade_date: tradeDate,
      open: q.open ?? null,
      high: q.high ?? null,
      low: q.low ?? null,
      close: q.close ?? null,
      adj_close: q.adjclose ?? null,
      volume: q.volume ?? null,
      ingested_at: ingestedAt,
    });
  }
  const rows = [...byDate.values()].sort((a, b) => (a.trade_date < b.trade_date ? -1 : 1));
  return { rows, emptyBars, duplicateBars, outsideWindow };
}
