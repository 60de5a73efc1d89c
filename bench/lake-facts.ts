/** The bench's own DuckDB (generating inputs, reading lakes back) and the few numbers two engines' lakes are compared by. */
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { sqlString } from "./core.ts";
import { fmt } from "./lib.ts";

let db: Awaited<ReturnType<DuckDBInstance["connect"]>> | undefined;

/** Runs `sql` on the bench's one in-memory DuckDB; its rows as objects. */
export async function rows(sql: string): Promise<Record<string, unknown>[]> {
  db ??= await (await DuckDBInstance.create(":memory:")).connect();
  return (await db.runAndReadAll(sql)).getRowObjectsJson();
}

/** Row counts, one float checksum and the month flags' counts: enough to see that two engines did the same job. */
export interface Facts {
  refined: number;
  aggregated: number;
  sumMedia: number;
  /** Aggregated rows with mes_fechado, and with mes_completo. */
  closed: number;
  complete: number;
}

export async function lakeFacts(lake: string): Promise<Facts> {
  const files = (table: string) => sqlString(join(lake, table, "**", "*.parquet"));
  // A peer may leave out a flag column: its count is then missing (NaN), a reported difference.
  const aggregatedColumns = new Set(
    (await rows(`DESCRIBE SELECT * FROM read_parquet(${files("aggregated")})`)).map((c) =>
      String(c.column_name),
    ),
  );
  const countOf = (flag: string) =>
    aggregatedColumns.has(flag)
      ? `(SELECT count(*) FILTER (WHERE ${flag}) FROM read_parquet(${files("aggregated")}))`
      : "CAST('NaN' AS DOUBLE)";
  const [r] = await rows(`
    SELECT (SELECT count(*) FROM read_parquet(${files("refined")}, hive_partitioning = false)) AS refined,
      (SELECT sum(media_movel_7d) FROM read_parquet(${files("refined")}, hive_partitioning = false)) AS media,
      (SELECT count(*) FROM read_parquet(${files("aggregated")})) AS aggregated,
      ${countOf("mes_fechado")} AS closed, ${countOf("mes_completo")} AS complete`);
  return {
    refined: Number(r?.refined),
    aggregated: Number(r?.aggregated),
    sumMedia: Number(r?.media),
    closed: Number(r?.closed),
    complete: Number(r?.complete),
  };
}

/** A flag's count, or that the column is missing (NaN). */
const flagCount = (n: number, what: string) =>
  Number.isNaN(n) ? `no ${what} column` : `${fmt(n, 0)} ${what}`;

export const factsText = (f: Facts) =>
  `${fmt(f.refined, 0)} refined rows, ${fmt(f.aggregated, 0)} aggregated rows (${flagCount(f.closed, "mes_fechado")}, ${flagCount(f.complete, "mes_completo")}), Σ media_movel_7d ${fmt(f.sumMedia, 3)}`;

// The engines may add a window's closes in another order: the checksum agrees to 1e-9, not bit for bit.
export const sameFacts = (a: Facts, b: Facts) =>
  a.refined === b.refined &&
  a.aggregated === b.aggregated &&
  a.closed === b.closed &&
  a.complete === b.complete &&
  Math.abs(a.sumMedia - b.sumMedia) <= 1e-9 * Math.abs(a.sumMedia);
