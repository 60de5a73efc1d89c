-- candidate_partitions: the refined partitions (data_pregao) this run may have to rewrite.
-- Inputs: raw_classified (01), refined_all (03).
--
--   is_own = TRUE   the date of a key in a raw file this run applies: always rewritten (a key
--                   that stopped being a session leaves its partition too)
--   is_own = FALSE  a session among the 6 that follow such a key for the same ticker: its lags or
--                   moving average may read the key's close, so it is rewritten if its row differs
--                   from what the lake holds (05)
-- A session's features read the closes of the session and the 6 before it; it depends on a key
-- exactly when the key's date lies between the 6th previous session's date and its own.
WITH windows AS (
  SELECT
    nome_acao,
    data_pregao,
    LAG(data_pregao, 6) OVER (PARTITION BY nome_acao ORDER BY data_pregao) AS window_start
  FROM refined_all
  WHERE nome_acao IN (SELECT nome_acao FROM raw_classified WHERE is_pending)
),

affected AS (
  SELECT DISTINCT w.data_pregao
  FROM windows AS w
  INNER JOIN raw_classified AS p
    ON
      p.is_pending
      AND p.nome_acao = w.nome_acao
      AND p.data_pregao <= w.data_pregao
      AND (w.window_start IS NULL OR p.data_pregao >= w.window_start)
),

own AS (
  SELECT DISTINCT data_pregao FROM raw_classified WHERE is_pending
)

SELECT
  data_pregao,
  TRUE AS is_own
FROM own
UNION ALL
SELECT
  data_pregao,
  FALSE AS is_own
FROM affected
WHERE data_pregao NOT IN (SELECT data_pregao FROM own)
