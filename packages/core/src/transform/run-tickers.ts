/** A run narrowed to the tickers of its pending raw files: the SQL computes only their rows, and every other ticker's rows are taken unchanged from the lake. */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { AGGREGATED_STOCKS, DUCKDB_TYPES } from "../lake/tables.ts";
import { sqlString } from "../sql-string.ts";

/**
 * Why this is exact: raw only grows, and every refined or aggregated value of a ticker is a function
 * of that ticker's raw rows alone, except `mes_fechado`, which follows the newest ingestion date of
 * all raw files. A ticker without a row in any pending raw file therefore has the same raw rows as
 * when the lake's tables were last published, and the same refined rows and aggregated rows there,
 * but for `mes_fechado`, recomputed here from raw_files as 07 does.
 */
export interface RunTickers {
  /** `column IN (the run's tickers)`. */
  runTickerFilter: (column: string) => string;
  /** The text to register instead of a file's, by view name, given that file's text. */
  bodies: Record<string, (text: string) => string>;
  /** refined_rows_total and newest_session of the whole table, the other tickers included. */
  wholeTableTotals: () => Promise<{ refined_rows_total: number; newest_session: unknown }>;
}

const parquetFiles = (folder: string) =>
  existsSync(folder)
    ? readdirSync(folder)
        .filter((f) => f.endsWith(".parquet") && !f.startsWith("."))
        .map((f) => join(folder, f))
    : [];

/**
 * Narrows raw_all to the rows of the tickers present in raw_pending, when the lake holds an
 * aggregated table of the current schema to take the other tickers' months from and every raw file
 * names its ingestion date (07's coverage then needs no refined row). Returns null, leaving every
 * view as it was, when the run must compute the whole table.
 */
export async function narrowToRunTickers(
  db: DuckDBConnection,
  lakeRoot: string,
  rawFiles: string[],
): Promise<RunTickers | null> {
  const undated = await db.runAndReadAll(
    "SELECT count(*) FROM raw_files WHERE ingestion_date IS NULL",
  );
  if (Number(undated.getRows()[0]?.[0]) > 0) return null;
  const aggregatedFiles = parquetFiles(join(lakeRoot, "aggregated"));
  if (aggregatedFiles.length === 0) return null;
  const readAggregated = `read_parquet([${aggregatedFiles.map(sqlString).join(", ")}], hive_partitioning = false)`;
  const described = (
    await db.runAndReadAll(`DESCRIBE SELECT * FROM ${readAggregated}`)
  ).getRowObjectsJson();
  const expected = AGGREGATED_STOCKS.columns.map((c) => `${c.name} ${DUCKDB_TYPES[c.type]}`);
  const found = described.map((r) => `${String(r.column_name)} ${String(r.column_type)}`);
  if (found.join(",") !== expected.join(",")) return null;

  const tickers = (
    await db.runAndReadAll(
      "SELECT DISTINCT ticker FROM raw_pending WHERE ticker IS NOT NULL ORDER BY 1",
    )
  )
    .getRows()
    .map((r) => String(r[0]));
  if (tickers.length === 0) return null;
  const list = tickers.map(sqlString).join(", ");
  const runTickerFilter = (column: string) => `${column} IN (${list})`;
  await db.run(
    `CREATE TABLE lake_aggregated AS SELECT * FROM ${readAggregated} WHERE NOT ${runTickerFilter("nome_acao")}`,
  );
  const others = await db.runAndReadAll(
    "SELECT CAST(MAX(mes_referencia) AS VARCHAR) FROM lake_aggregated",
  );
  const newestOtherMonth = others.getRows()[0]?.[0];
  // No other ticker has a month: the whole table is the run's tickers', nothing to narrow.
  if (newestOtherMonth === null || newestOtherMonth === undefined) {
    await db.run("DROP TABLE lake_aggregated");
    return null;
  }
  await db.run(
    `CREATE OR REPLACE VIEW raw_all AS SELECT * FROM read_parquet([${rawFiles.map(sqlString).join(", ")}], hive_partitioning = false) WHERE ${runTickerFilter("ticker")}`,
  );

  return {
    runTickerFilter,
    bodies: {
      // The other tickers' rows of each rewritten partition, as the lake holds them.
      refined_rows: (text) => `SELECT * FROM (\n${text}\n) AS run_rows
        UNION ALL BY NAME
        SELECT * FROM refined_history_all
        WHERE data_pregao IN (SELECT data_pregao FROM partitions_written)
          AND NOT ${runTickerFilter("nome_acao")}`,
      // The other tickers' months as the lake holds them, mes_fechado as of this run's coverage.
      aggregated_rows: (text) => `SELECT * FROM (\n${text}\n) AS run_months
        UNION ALL BY NAME
        SELECT nome_acao, mes_referencia, volume_total, preco_medio_fechamento, dias_pregao,
          last_day(mes_referencia) <= (SELECT MAX(ingestion_date) - 1 FROM raw_files) AS mes_fechado,
          mes_completo
        FROM lake_aggregated`,
    },
    wholeTableTotals: async () => {
      // The other tickers' newest session lies in their newest month, in the lake's partitions.
      const month = String(newestOtherMonth).slice(0, 8);
      const refined = join(lakeRoot, "refined");
      const files = readdirSync(refined)
        .filter((d) => d.startsWith(`data_pregao=${month}`))
        .flatMap((d) => parquetFiles(join(refined, d)));
      const othersNewest =
        files.length === 0
          ? "SELECT CAST(NULL AS DATE) AS d"
          : `SELECT MAX(data_pregao) AS d FROM read_parquet([${files.map(sqlString).join(", ")}], hive_partitioning = true, hive_types = {'data_pregao': DATE}, union_by_name = true) WHERE NOT ${runTickerFilter("nome_acao")}`;
      const [row] = (
        await db.runAndReadAll(`SELECT
          (SELECT CAST(SUM(dias_pregao) AS BIGINT) FROM aggregated_rows) AS refined_rows_total,
          (SELECT MAX(d) FROM (SELECT MAX(data_pregao) AS d FROM refined_all UNION ALL ${othersNewest})) AS newest_session`)
      ).getRowObjectsJson();
      return {
        refined_rows_total: Number(row?.refined_rows_total ?? 0),
        newest_session: row?.newest_session ?? null,
      };
    },
  };
}
