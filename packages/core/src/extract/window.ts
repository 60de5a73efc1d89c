/** The extraction window of a run date D: sessions from D0 (default D−1 minus 6 months) through D−1, in B3's calendar. */

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

export interface WindowOptions {
  /** Run date `YYYY-MM-DD`; default: today in São Paulo according to `now`. */
  runDate?: string | undefined;
  /** Window start `YYYY-MM-DD`; default: D−1 minus 6 months. */
  from?: string | undefined;
  /** The clock, for the default run date. */
  now?: Date;
}

export function extractWindow(options: WindowOptions = {}): ExtractWindow {
  const runDate =
    options.runDate === undefined
      ? localDate(options.now ?? new Date(), B3_TIME_ZONE)
      : parseIsoDate(options.runDate, "--date");
  const to = addDays(runDate, -1);
  const from =
    options.from === undefined ? addMonths(to, -6) : parseIsoDate(options.from, "--from");
  if (from > to) {
    throw new UsageError(
      `--from ${from} is after the last day of the window (${to}, the day before --date ${runDate}): choose an earlier --from or a later --date`,
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
