/** DuckDB over a local lake folder: the views raw_stocks, refined_stocks and aggregated_stocks (DESIGN §6), typed even before their data exists. */
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from "@duckdb/node-api";
import type { QueryResult } from "./query-result.ts";

/** Column lists of the three tables, for empty views before any data is written. */
export const TABLE_COLUMNS = {
  raw_stocks:
    "ticker VARCHAR, trade_date DATE, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, adj_close DOUBLE, volume BIGINT, ingested_at TIMESTAMPTZ, ingestion_date DATE",
  refined_stocks:
    "nome_acao VARCHAR, abertura DOUBLE, fechamento DOUBLE, max DOUBLE, min DOUBLE, volume_negociado BIGINT, media_movel_7d DOUBLE, lag_1d DOUBLE, lag_2d DOUBLE, lag_3d DOUBLE, fechamento_ajustado DOUBLE, data_pregao DATE",
  aggregated_stocks:
    "nome_acao VARCHAR, mes_referencia DATE, volume_total BIGINT, preco_medio_fechamento DOUBLE, dias_pregao INTEGER, mes_fechado BOOLEAN",
} as const;

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

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
    const names = columns.split(", ").map((c) => c.split(" ")[0]);
    const glob = sqlString(join(lakeRoot, source.glob));
    const files = await connection.runAndReadAll(`SELECT count(*) FROM glob(${glob})`);
    const hasData = Number(files.getRows()[0]?.[0] ?? 0) > 0;
    const select = hasData
      ? `SELECT ${names.join(", ")} FROM read_parquet(${glob}, ` +
        (source.partition
          ? `hive_partitioning = true, hive_types = {'${source.partition}': DATE})`
          : "hive_partitioning = false)")
      : `SELECT ${columns
          .split(", ")
          .map((c) => {
            const [name, ...type] = c.split(" ");
            return `CAST(NULL AS ${type.join(" ")}) AS ${name}`;
          })
          .join(", ")} WHERE false`;
    await connection.run(`CREATE OR REPLACE VIEW ${view} AS ${select}`);
  }
}

/** Runs `sql` over the lake's views and returns plain values. */
export async function queryLake(lakeRoot: string, sql: string): Promise<QueryResult> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    await createLakeViews(connection, lakeRoot);
    const reader = await connection.runAndReadAll(sql);
    return {
      columns: reader.columnNames(),
      rows: reader.getRows().map((row) => row.map(plain)),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function plain(value: DuckDBValue): string | number | boolean | null {
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
