/** DuckDB over a local lake folder: the views raw_stocks, refined_stocks and aggregated_stocks, typed even before their data exists. */
import { join } from "node:path";
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import { createDuckDb } from "../duckdb-instance.ts";
import { LakeError } from "../lake/errors.ts";
import { localLake } from "../lake/local-lake.ts";
import { acquireLakeLock } from "../lake/lock.ts";
import { needsRecovery, recoverLake } from "../lake/publish.ts";
import {
  AGGREGATED_STOCKS,
  duckdbColumns,
  type LakeTableDeclaration,
  RAW_STOCKS,
  REFINED_STOCKS,
} from "../lake/tables.ts";
import { sqlString } from "../sql-string.ts";
import type { QueryResult } from "./result.ts";

function duckdbColumnList(table: LakeTableDeclaration): string {
  return duckdbColumns(table)
    .map((c) => `${c.name} ${c.type}`)
    .join(", ");
}

/** Column lists of the three tables (from the catalog's declarations), for empty views before any data is written. */
export const TABLE_COLUMNS = {
  raw_stocks: duckdbColumnList(RAW_STOCKS),
  refined_stocks: duckdbColumnList(REFINED_STOCKS),
  aggregated_stocks: duckdbColumnList(AGGREGATED_STOCKS),
} as const;

/** Creates the three views over `lakeRoot` on `connection`. */
export async function createLakeViews(
  connection: DuckDBConnection,
  lakeRoot: string,
): Promise<void> {
  const sources = {
    raw_stocks: {
      folder: "raw",
      glob: "raw/ingestion_date=*/*.parquet",
      partition: "ingestion_date",
    },
    refined_stocks: {
      folder: "refined",
      glob: "refined/data_pregao=*/*.parquet",
      partition: "data_pregao",
    },
    aggregated_stocks: { folder: "aggregated", glob: "aggregated/*.parquet", partition: undefined },
  } as const;
  for (const [view, source] of Object.entries(sources) as [
    keyof typeof sources,
    (typeof sources)[keyof typeof sources],
  ][]) {
    const columns = TABLE_COLUMNS[view];
    const glob = sqlString(join(lakeRoot, source.glob));
    const files = await connection.runAndReadAll(`SELECT count(*) FROM glob(${glob})`);
    const hasData = Number(files.getRows()[0]?.[0] ?? 0) > 0;
    const declared = columns.split(", ").map((c) => {
      const [name = "", ...type] = c.split(" ");
      return { name, type: type.join(" ") };
    });
    const asNull = (c: { name: string; type: string }) => `CAST(NULL AS ${c.type}) AS ${c.name}`;
    let select: string;
    if (hasData) {
      const reader =
        `read_parquet(${glob}, ` +
        (source.partition
          ? `hive_partitioning = true, hive_types = {'${source.partition}': DATE})`
          : "hive_partitioning = false)");
      // A file written before a column was declared reads that column as NULL until it is
      // rewritten, rather than breaking every query over the lake.
      const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${reader}`);
      const present = new Set(described.getRows().map((row) => String(row[0])));
      const list = declared.map((c) => (present.has(c.name) ? c.name : asNull(c)));
      select = `SELECT ${list.join(", ")} FROM ${reader}`;
    } else {
      select = `SELECT ${declared.map(asNull).join(", ")} WHERE false`;
    }
    await connection.run(`CREATE OR REPLACE VIEW ${view} AS ${select}`);
  }
}

/**
 * Completes a publish that a crashed transform left half done, before reading. A writer still at
 * work holds the lock and finishes its own publish: then this reads what is there, without waiting.
 */
async function recoverBeforeReading(lakeRoot: string): Promise<void> {
  if (!needsRecovery(lakeRoot)) return;
  let lock: Awaited<ReturnType<typeof acquireLakeLock>>;
  try {
    lock = await acquireLakeLock(localLake(lakeRoot), { owner: "query", waitMs: 0 });
  } catch (error) {
    if (error instanceof LakeError && error.code === "Locked") return;
    throw error;
  }
  try {
    recoverLake(lakeRoot);
  } finally {
    await lock.release();
  }
}

/**
 * Runs `work` on a DuckDB connection holding the lake's views, after completing any half-done
 * publish; the connection is closed when `work` settles.
 */
export async function withLakeViews<T>(
  lakeRoot: string,
  work: (connection: DuckDBConnection) => Promise<T>,
): Promise<T> {
  await recoverBeforeReading(lakeRoot);
  const instance = await createDuckDb();
  const connection = await instance.connect();
  try {
    await createLakeViews(connection, lakeRoot);
    return await work(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Runs `sql` over the lake's views and returns plain values. */
export function queryLake(lakeRoot: string, sql: string): Promise<QueryResult> {
  return withLakeViews(lakeRoot, async (connection) => {
    const reader = await connection.runAndReadAll(sql);
    return {
      columns: reader.columnNames(),
      rows: reader.getRows().map((row) => row.map(plainValue)),
    };
  });
}

/** A DuckDB value as a JSON-friendly scalar: safe big integers as numbers, dates as YYYY-MM-DD. */
export function plainValue(value: DuckDBValue): string | number | boolean | null {
  if (
    value === null ||
    typeof value === "number" ||
    typeof value === "boolean" ||
    typeof value === "string"
  )
    return value;
  if (typeof value === "bigint")
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return String(value); // dates, timestamps, decimals: DuckDB's own text form (dates as YYYY-MM-DD)
}
