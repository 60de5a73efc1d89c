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
--
-- Counted with running sums rather than a range join (which grows with sessions × keys on a
-- backfill): keys_upto = keys of the ticker dated on or before the row; a session is affected when
-- keys_upto at the session exceeds the count of keys dated before its 6th previous session.
WITH marks AS (
  SELECT
    nome_acao,
    data_pregao,
    0 AS is_key
  FROM refined_all
  WHERE nome_acao IN (SELECT nome_acao FROM raw_classified WHERE is_pending)
  UNION ALL
  SELECT
    nome_acao,
    data_pregao,
    1 AS is_key
  FROM raw_classified
  WHERE is_pending
),

counted AS (
  SELECT
    nome_acao,
    data_pregao,
    is_key,
    SUM(is_key) OVER (
      PARTITION BY nome_acao
      ORDER BY data_pregao, is_key DESC
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS keys_upto,
    SUM(is_key) OVER (PARTITION BY nome_acao, data_pregao) AS keys_on_day
  FROM marks
),

sessions AS (
  SELECT
    nome_acao,
    data_pregao,
    keys_upto,
    LAG(keys_upto - keys_on_day, 6) OVER (PARTITION BY nome_acao ORDER BY data_pregao)
      AS keys_before_window
  FROM counted
  WHERE is_key = 0
),

affected AS (
  SELECT DISTINCT data_pregao
  FROM sessions
  WHERE keys_upto > COALESCE(keys_before_window, 0)
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
