/** Calendar dates as `YYYY-MM-DD` strings: strict parsing, arithmetic, and the local date of an instant in an IANA time zone. */
import { UsageError } from "../errors.ts";

export const B3_TIME_ZONE = "America/Sao_Paulo";
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Parses a strict `YYYY-MM-DD` that names a real calendar day; `what` names the input in the error. */
export function parseIsoDate(value: string, what = "date"): string {
  const match = ISO_DATE.exec(value.trim());
  const [, y, m, d] = match ?? [];
  const date = match ? new Date(Date.UTC(Number(y), Number(m) - 1, Number(d))) : undefined;
  if (!date || date.getUTCMonth() !== Number(m) - 1 || date.getUTCDate() !== Number(d)) {
    throw new UsageError("InvalidValue", `${what} ${JSON.stringify(value)} is not a valid date`, {
      remedy: "use YYYY-MM-DD, e.g. 2026-01-15",
    });
  }
  return value.trim();
}

/** Days since 1970-01-01 for a `YYYY-MM-DD` date (Parquet's DATE). */
export function epochDay(date: string): number {
  return Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

/** The `YYYY-MM-DD` date `days` days after `date` (negative goes back). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The same day `months` months later, clamped to the month's last day (2026-08-31 − 6 months = 2026-02-28). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const firstOfTarget = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(
    Date.UTC(firstOfTarget.getUTCFullYear(), firstOfTarget.getUTCMonth() + 1, 0),
  ).getUTCDate();
  firstOfTarget.setUTCDate(Math.min(d, lastDay));
  return firstOfTarget.toISOString().slice(0, 10);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // en-CA formats as YYYY-MM-DD.
    formatter = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The calendar date of `instant` in `timeZone` (default B3's). */
export function localDate(instant: Date, timeZone = B3_TIME_ZONE): string {
  return formatterFor(timeZone).format(instant);
}

/** The instant at which `date` begins (00:00) in `timeZone`; handles historical DST in São Paulo. */
export function startOfLocalDay(date: string, timeZone = B3_TIME_ZONE): Date {
  // Guess UTC midnight, then correct by the zone's offset at that guess (twice, for DST edges).
  let instant = Date.parse(`${date}T00:00:00Z`);
  for (let i = 0; i < 2; i++) {
    const offset = zoneOffsetMs(new Date(instant), timeZone);
    instant = Date.parse(`${date}T00:00:00Z`) - offset;
  }
  // On a DST day that skips midnight (Brazil before 2019), 00:00 does not exist: take 01:00.
  if (localDate(new Date(instant), timeZone) !== date) instant += 3_600_000;
  return new Date(instant);
}

function zoneOffsetMs(instant: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}
