/** Prints a query result as a terminal table, CSV (RFC 4180) or JSON (an array of row objects). */
import type { QueryResult } from "@b3/core/query";
import Table from "cli-table3";

export const FORMATS = ["table", "csv", "json"] as const;
export type Format = (typeof FORMATS)[number];

/** A terminal table without separator lines between rows. */
export function compactTable(head: string[]): Table.Table {
  return new Table({
    head,
    style: { head: [], border: [] },
    chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
  });
}

/** The rows as objects keyed by column name. */
export function rowObjects(result: QueryResult): Record<string, unknown>[] {
  return result.rows.map((row) =>
    Object.fromEntries(result.columns.map((c, i) => [c, row[i] ?? null])),
  );
}

export function renderResult(result: QueryResult, format: Format): string {
  if (format === "json") return `${JSON.stringify(rowObjects(result), null, 2)}\n`;
  if (format === "csv") {
    const cell = (v: unknown) => {
      const s = v === null || v === undefined ? "" : String(v);
      return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
    };
    return [result.columns, ...result.rows].map((row) => `${row.map(cell).join(",")}\r\n`).join("");
  }
  const table = compactTable(result.columns);
  for (const row of result.rows) table.push(row.map((v) => (v === null ? "NULL" : String(v))));
  const count = `${result.rows.length} row${result.rows.length === 1 ? "" : "s"}`;
  return `${table.toString()}\n${count}\n`;
}
