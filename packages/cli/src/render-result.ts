/** Prints a query result as a terminal table (numbers right-aligned and rounded for display, rows capped, fitted to the width), CSV (RFC 4180, full values) or JSON (row objects, full values). */
import type { QueryResult } from "@b3/core/query";
import { textTable } from "./text-table.ts";

export const FORMATS = ["table", "csv", "json"] as const;
export type Format = (typeof FORMATS)[number];

/** Rows a table shows unless told otherwise: the first and last halves of this many. */
export const DEFAULT_MAX_ROWS = 40;

export interface TableOptions {
  /** Rows to show at most (the first and last halves); 0 shows them all. Default 40. */
  maxRows?: number;
  /** The terminal's width; columns past it are left out and named. Default: no limit. */
  width?: number;
}

type Cell = QueryResult["rows"][number][number];

/** The rows as objects keyed by column name. */
export function rowObjects(result: QueryResult): Record<string, unknown>[] {
  return result.rows.map((row) =>
    Object.fromEntries(result.columns.map((c, i) => [c, row[i] ?? null])),
  );
}

const plural = (n: number, word: string) =>
  `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;

/**
 * Decimals that show a column's fractional numbers without float noise: 2 (cents) for values of 1
 * or more, more for smaller ones so that three significant digits remain, at most 6.
 */
function decimalsOf(values: readonly number[]): number | undefined {
  const fractional = values.filter((v) => Number.isFinite(v) && !Number.isInteger(v));
  if (fractional.length === 0) return undefined;
  const smallest = Math.min(...fractional.map(Math.abs));
  return smallest >= 1 ? 2 : Math.min(6, Math.max(2, 2 - Math.floor(Math.log10(smallest))));
}

/** Every cell of one column as display text, and whether the column is numeric (right-aligned). */
function displayColumn(cells: readonly Cell[]): { texts: string[]; numeric: boolean } {
  const present = cells.filter((c) => c !== null);
  const numeric = present.length > 0 && present.every((c) => typeof c === "number");
  const decimals = numeric ? decimalsOf(present as number[]) : undefined;
  const texts = cells.map((c) => {
    if (c === null) return "NULL";
    if (typeof c === "number" && decimals !== undefined && Number.isFinite(c)) {
      return c.toFixed(decimals);
    }
    return String(c);
  });
  return { texts, numeric };
}

/** The rows as display text, column by column, and which columns are numeric (right-aligned). */
function displayRows(
  head: readonly string[],
  rows: ReadonlyArray<readonly Cell[]>,
): { textRows: string[][]; rightAligned: Set<number> } {
  const columns = head.map((_, i) => displayColumn(rows.map((row) => row[i] ?? null)));
  return {
    textRows: rows.map((_, r) => columns.map((c) => c.texts[r] ?? "")),
    rightAligned: new Set(columns.flatMap((c, i) => (c.numeric ? [i] : []))),
  };
}

/** The human table: header, rule, rows (capped), then a line saying what was left out, if anything. */
export function renderTable(result: QueryResult, options: TableOptions = {}): string {
  const { maxRows = DEFAULT_MAX_ROWS, width } = options;
  const total = result.rows.length;
  const capped = maxRows > 0 && total > maxRows;
  const head = Math.ceil(maxRows / 2);
  const shown = capped
    ? [...result.rows.slice(0, head), ...result.rows.slice(total - (maxRows - head))]
    : result.rows;
  const { textRows, rightAligned } = displayRows(result.columns, shown);
  const gapped: Array<string[] | null> = textRows;
  if (capped) gapped.splice(head, 0, null);
  const table = textTable(result.columns, gapped, { rightAligned, width });
  const notes = [plural(total, "row")];
  if (capped)
    notes.push(`${(total - maxRows).toLocaleString("en-US")} not shown (--max-rows 0 shows all)`);
  const hidden = table.hiddenColumns;
  if (hidden.length > 0) {
    const named = hidden.length > 6 ? `${hidden.slice(0, 5).join(", ")}, …` : hidden.join(", ");
    notes.push(`${plural(hidden.length, "column")} left out to fit the terminal (${named})`);
  }
  return `${table.lines.join("\n")}\n${notes.join("; ")}\n`;
}

/** A summary table for reports (extract, transform): numbers right-aligned, no row cap. */
export function summaryTable(
  head: readonly string[],
  rows: ReadonlyArray<readonly Cell[]>,
): string {
  const { textRows, rightAligned } = displayRows(head, rows);
  return textTable(head, textRows, { rightAligned }).lines.join("\n");
}

export function renderResult(
  result: QueryResult,
  format: Format,
  options: TableOptions = {},
): string {
  if (format === "json") return `${JSON.stringify(rowObjects(result), null, 2)}\n`;
  if (format === "csv") {
    const cell = (v: unknown) => {
      const s = v === null || v === undefined ? "" : String(v);
      return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
    };
    return [result.columns, ...result.rows].map((row) => `${row.map(cell).join(",")}\r\n`).join("");
  }
  return renderTable(result, options);
}
