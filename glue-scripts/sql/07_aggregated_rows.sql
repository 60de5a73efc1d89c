-- aggregated_rows: the whole aggregated table, one row per (ticker, month), recomputed from all
-- refined history (refined_all, 03) so that a month cut by the 6-month window edge still counts
-- every one of its sessions.
--
-- mes_fechado is false for the month of the newest session in the table, true for every other.
-- preco_medio_fechamento sums the closes as DECIMAL(38, 12): the total then does not depend on
-- the order in which the engine happens to add the rows (Spark merges partial sums in shuffle
-- order, DuckDB in thread order), so re-runs and both engines give the same double. Rounding each
-- close to 1e-12 is far below the 0.01 BRL tick.
WITH sessions AS (
  SELECT
    nome_acao,
    CAST(date_trunc('month', data_pregao) AS DATE) AS mes_referencia,
    fechamento,
    volume_negociado
  FROM refined_all
),

newest AS (
  SELECT MAX(mes_referencia) AS newest_month FROM sessions
),

monthly AS (
  SELECT
    nome_acao,
    mes_referencia,
    CAST(SUM(volume_negociado) AS BIGINT) AS volume_total,
    CAST(SUM(CAST(fechamento AS DECIMAL(38, 12))) AS DOUBLE) / COUNT(*) AS preco_medio_fechamento,
    CAST(COUNT(*) AS INT) AS dias_pregao
  FROM sessions
  GROUP BY nome_acao, mes_referencia
)

SELECT
  m.nome_acao,
  m.mes_referencia,
  m.volume_total,
  m.preco_medio_fechamento,
  m.dias_pregao,
  m.mes_referencia <> n.newest_month AS mes_fechado
FROM monthly AS m
CROSS JOIN newest AS n
ORDER BY m.nome_acao, m.mes_referencia
