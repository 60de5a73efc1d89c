/**
 * The transform rules as bare DuckDB SQL, the way the independent peer writes them: filter,
 * windows, one sorted partitioned write on every core, the monthly aggregate; no merge of a key's
 * versions, no lock, staging, journal or summary. The bench runs it next to `b3 transform`, to show
 * what the engine's guarantees cost over a plain DuckDB job.
 * usage: node bench/transform/bare_duckdb.ts RAW_PARQUET OUT_DIR
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";

const [raw, out] = process.argv.slice(2);
if (!raw || !out) throw new Error("usage: node bench/transform/bare_duckdb.ts RAW_PARQUET OUT_DIR");
const q = (s: string) => `'${s.replaceAll("'", "''")}'`;

const db = await (await DuckDBInstance.create(":memory:")).connect();
await db.run("SET preserve_insertion_order = false");
await db.run(`
  CREATE TABLE refined AS
  SELECT ticker AS nome_acao, open AS abertura, close AS fechamento, high AS max, low AS min,
    volume AS volume_negociado,
    CASE WHEN count(*) OVER w7 = 7 THEN avg(close) OVER w7 END AS media_movel_7d,
    lag(close, 1) OVER w AS lag_1d, lag(close, 2) OVER w AS lag_2d, lag(close, 3) OVER w AS lag_3d,
    adj_close AS fechamento_ajustado, trade_date AS data_pregao
  FROM read_parquet(${q(raw)})
  WHERE open > 0 AND high > 0 AND low > 0 AND close > 0
    AND NOT (volume = 0 AND open = high AND high = low AND low = close)
  WINDOW w AS (PARTITION BY ticker ORDER BY trade_date),
    w7 AS (PARTITION BY ticker ORDER BY trade_date ROWS 6 PRECEDING)`);
await db.run(`
  COPY (SELECT * FROM refined ORDER BY data_pregao, nome_acao) TO ${q(join(out, "refined"))}
  (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (data_pregao))`);
mkdirSync(join(out, "aggregated"), { recursive: true });
await db.run(`
  COPY (
    WITH months AS (
      SELECT nome_acao, CAST(date_trunc('month', data_pregao) AS DATE) AS mes_referencia,
        sum(volume_negociado) AS volume_total, avg(fechamento) AS preco_medio_fechamento,
        CAST(count(*) AS INTEGER) AS dias_pregao
      FROM refined GROUP BY 1, 2
    )
    SELECT *, mes_referencia <> (SELECT max(mes_referencia) FROM months) AS mes_fechado FROM months
  ) TO ${q(join(out, "aggregated", "part-0.parquet"))} (FORMAT parquet, COMPRESSION snappy)`);
