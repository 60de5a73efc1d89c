/**
 * The one JSON shape of every `--json`: snake_case keys, like the tables' columns and the Glue job's
 * summary. Keys that are data rather than field names (tickers such as `PETR4.SA`, drop reasons,
 * column names) are left as they are: only lowerCamelCase identifiers are renamed.
 */
import type { CliIo } from "./cli-io.ts";

const CAMEL = /^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+$/;

/** `rowsWritten` → `rows_written`; any other key unchanged. */
export const snakeKey = (key: string): string =>
  CAMEL.test(key) ? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : key;

/** `value` with every lowerCamelCase object key in snake_case, at every depth; undefined fields dropped as JSON drops them. */
export function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [snakeKey(key), snakeKeys(inner)]),
  );
}

/** Prints `value` on stdout as indented JSON in the one shape. */
export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(snakeKeys(value), null, 2)}\n`);
}
