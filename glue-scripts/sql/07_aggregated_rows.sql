-- aggregated_rows: the whole aggregated table, one row per (ticker, month), recomputed from all
-- refined history (refined_all, 03) so that a month cut by the 6-month window edge still counts
-- every one of its sessions.
-- Inputs: refined_all (03), raw_classified (01), raw_files (one row per raw file of raw_all, its
-- ingestion_date; NULL when the file's path names none).
--
-- covered_through: the last trade date the lake's runs cover. A run of date D extracts sessions up
-- to D-1, so it is the day before the greatest ingestion_date of every raw file ever extracted (a
-- function of the set of raw files, never of the order runs happened in). Only when no raw file
-- names its date (a raw file given by a path outside the lake layout) is it the newest session.
--
-- mes_fechado: the month has ended by covered_through (its last calendar day <= covered_through).
--   A run of 2020-07-01 covers through 2020-06-30: June is closed, and so is every earlier month.
-- mes_completo: the ticker's history covers the month from its first weekday (Mon-Fri), i.e. the
--   earliest day the lake knows for the ticker, either a session or Yahoo's holiday quote
--   (drop_reason NULL or 'non_session'), is on or before the month's first weekday. True for every
--   month after the one its history begins in; for that month only when the history reaches its
--   first weekday. Holidays are not known in advance: a history whose first answer is 2020-01-02
--   (after the 01-01 holiday, when Yahoo sent no quote for it) reads incomplete, on the safe side.
--   Gaps inside a month are not judged here (dias_pregao shows them).
--   The weekday is compared with that of a known Saturday and Sunday, because the engines number
--   dayofweek differently (DuckDB 0 = Sunday, Spark 1 = Sunday).
--
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

coverage AS (
  SELECT
    COALESCE(MAX(ingestion_date) - 1, (SELECT MAX(data_pregao) FROM refined_all)) AS covered_through
  FROM raw_files
),

first_known AS (
  SELECT
    nome_acao,
    MIN(data_pregao) AS first_known_day
  FROM raw_classified
  WHERE drop_reason IS NULL OR drop_reason = 'non_session'
  GROUP BY nome_acao
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
),

first_weekday AS (
  SELECT
    nome_acao,
    mes_referencia,
    volume_total,
    preco_medio_fechamento,
    dias_pregao,
    mes_referencia + CASE dayofweek(mes_referencia)
      WHEN dayofweek(DATE '2000-01-01') THEN 2  -- a Saturday: the first weekday is Monday the 3rd
      WHEN dayofweek(DATE '2000-01-02') THEN 1  -- a Sunday: Monday the 2nd
      ELSE 0
    END AS first_weekday
  FROM monthly
)

SELECT
  m.nome_acao,
  m.mes_referencia,
  m.volume_total,
  m.preco_medio_fechamento,
  m.dias_pregao,
  last_day(m.mes_referencia) <= c.covered_through AS mes_fechado,
  f.first_known_day <= m.first_weekday AS mes_completo
FROM first_weekday AS m
CROSS JOIN coverage AS c
INNER JOIN first_known AS f ON f.nome_acao = m.nome_acao
ORDER BY m.nome_acao, m.mes_referencia
