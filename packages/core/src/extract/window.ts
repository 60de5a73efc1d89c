/** The extraction window of a run date D: sessions from D0 (by default `DEFAULT_WINDOW_MONTHS` before D−1) through D−1, in B3's calendar. */

import { UsageError } from "../errors.ts";
import {
  addDays,
  addMonths,
  B3_TIME_ZONE,
  localDate,
  parseIsoDate,
  startOfLocalDay,
} from "./calendar.ts";

export interface ExtractWindow {
  /** The run date D (`ingestion_date` of the raw file). */
  runDate: string;
  /** First trade date wanted, inclusive. */
  from: string;
  /** Last trade date wanted, inclusive: D−1. */
  to: string;
  /** Yahoo's `period1`: the instant `from` begins in São Paulo. */
  period1: Date;
  /** Yahoo's `period2`: the instant D begins in São Paulo (exclusive end). */
  period2: Date;
}

/** How far back a window reaches from D−1 unless told otherwise. */
export const DEFAULT_WINDOW_MONTHS = 6;

/** The run date of a run started at `now`: that day in São Paulo. */
export function defaultRunDate(now: Date): string {
  return localDate(now, B3_TIME_ZONE);
}

export interface WindowOptions {
  /** Run date `YYYY-MM-DD`; default: `defaultRunDate(now)`. */
  runDate?: string | undefined;
  /** Window start `YYYY-MM-DD`; default: D−1 minus `DEFAULT_WINDOW_MONTHS` months. */
  from?: string | undefined;
  /** The clock, for the default run date. */
  now?: Date;
}

export function extractWindow(options: WindowOptions = {}): ExtractWindow {
  const runDate =
    options.runDate === undefined
      ? defaultRunDate(options.now ?? new Date())
      : parseIsoDate(options.runDate, "run date");
  const to = addDays(runDate, -1);
  const from =
    options.from === undefined
      ? addMonths(to, -DEFAULT_WINDOW_MONTHS)
      : parseIsoDate(options.from, "window start");
  if (from > to) {
    throw new UsageError(
      "Conflict",
      `window start ${from} is after the last day of the window (${to}, the day before the run date ${runDate})`,
      {
        remedy: "choose an earlier window start or a later run date",
        settings: ["from", "runDate"],
      },
    );
  }
  return {
    runDate,
    from,
    to,
    period1: startOfLocalDay(from, B3_TIME_ZONE),
    period2: startOfLocalDay(runDate, B3_TIME_ZONE),
  };
}
