/**
 * Gaps in a lake's history, judged against the lake itself: the market's days are the days on
 * which any ticker of the lake had a session, and a ticker misses a day when the market traded
 * between its first and last session without it. Weekdays on which no ticker traded are listed
 * apart: B3 holidays, or days no extract covered; no holiday calendar is assumed.
 */
import { addDays } from "../extract/calendar.ts";

export interface HistoryGaps {
  /** Days with a session of any ticker, sorted. */
  marketDays: string[];
  /** Per ticker: market days between its first and last session without a session of its own. */
  missingByTicker: Record<string, string[]>;
  /** Monday-to-Friday days between the market's first and last day without any session. */
  weekdaysWithoutSession: string[];
}

/** The gaps of `sessionDays` (each ticker's session dates, YYYY-MM-DD, any order). */
export function historyGaps(sessionDays: Record<string, readonly string[]>): HistoryGaps {
  const market = new Set(Object.values(sessionDays).flat());
  const marketDays = [...market].sort();
  const missingByTicker: Record<string, string[]> = {};
  for (const [ticker, days] of Object.entries(sessionDays)) {
    const own = new Set(days);
    const sorted = [...own].sort();
    const first = sorted[0];
    const last = sorted.at(-1);
    missingByTicker[ticker] =
      first === undefined || last === undefined
        ? []
        : marketDays.filter((d) => d > first && d < last && !own.has(d));
  }
  return {
    marketDays,
    missingByTicker,
    weekdaysWithoutSession: weekdaysWithout(market, marketDays[0], marketDays.at(-1)),
  };
}

function weekdaysWithout(days: Set<string>, first?: string, last?: string): string[] {
  const without: string[] = [];
  if (first === undefined || last === undefined) return without;
  for (let day = first; day <= last; day = addDays(day, 1)) {
    const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
    if (weekday !== 0 && weekday !== 6 && !days.has(day)) without.push(day);
  }
  return without;
}
