-- raw_counts: the run's own raw file per ticker and drop_reason (NULL = a session), for its summary.
-- Inputs: raw_classified (01) for the run's keys, as merged with every other answer for them;
-- raw_input for what is counted before merging:
--   missing_key  a row without ticker or trade_date (the raw schema makes them required)
--   duplicate    a further row of a key the file already holds (one row per key is counted)
WITH per_key AS (
  SELECT
    nome_acao,
    drop_reason,
    COUNT(*) AS row_count
  FROM raw_classified
  WHERE in_run
  GROUP BY nome_acao, drop_reason
),

extra_rows AS (
  SELECT
    ticker AS nome_acao,
    CASE WHEN ticker IS NULL OR trade_date IS NULL THEN 'missing_key' ELSE 'duplicate' END AS drop_reason,
    COUNT(*) - CASE WHEN ticker IS NULL OR trade_date IS NULL THEN 0 ELSE 1 END AS row_count
  FROM raw_input
  GROUP BY ticker, trade_date
),

extra AS (
  SELECT
    nome_acao,
    drop_reason,
    CAST(SUM(row_count) AS BIGINT) AS row_count
  FROM extra_rows
  WHERE row_count > 0
  GROUP BY nome_acao, drop_reason
)

SELECT nome_acao, drop_reason, row_count FROM (
  SELECT nome_acao, drop_reason, row_count FROM per_key
  UNION ALL
  SELECT nome_acao, drop_reason, row_count FROM extra
) AS counts
ORDER BY nome_acao NULLS FIRST, drop_reason NULLS FIRST
