-- raw_classified: every (ticker, trade_date) ever extracted, its versions merged into one row in
-- the refined vocabulary, with drop_reason NULL when the merged row is a session and the reason it
-- is not one otherwise.
-- Inputs: raw_all (every raw file of the lake), raw_pending (the raw files this run applies),
-- raw_input (the run's own raw file).
--
-- Merging, per (ticker, trade_date):
--   * rows of one file with the same key and the same ingested_at are one answer: the copy with
--     the largest values (NULLs last) is kept, so both engines keep the same row;
--   * then each column takes the value of the latest ingested_at at which it is not NULL: a newer
--     answer revises an older one, and a NULL never replaces a value (Yahoo drops volumes or
--     adjclose now and then).
-- The result depends only on the set of raw rows, never on the order runs happened in.
--
-- Reasons, checked in this order (a row gets the first that applies):
--   missing_price       open, high, low or close is NULL in every version
--   non_positive_price  open, high, low or close is <= 0 (e.g. an unfinished same-day bar of zeros)
--   non_finite_price    open, high, low or close is NaN or +Infinity
--   non_session         volume 0 with open = high = low = close (Yahoo's quote for a B3 holiday)
--
-- in_run: the key is in the run's own raw file (for its summary); is_pending: the key is in a raw
-- file this run applies, so its partition is rewritten.
WITH keyed AS (
  SELECT ticker, trade_date, open, high, low, close, adj_close, volume, ingested_at
  FROM raw_all
  WHERE ticker IS NOT NULL AND trade_date IS NOT NULL
),

-- Keys with more than one raw row: few (a revision, a re-extracted day), so only their rows go
-- through the merge below; every other key's one row is already its merged row.
revised_keys AS (
  SELECT ticker, trade_date
  FROM keyed
  GROUP BY ticker, trade_date
  HAVING COUNT(*) > 1
),

tagged AS (
  SELECT k.*, r.ticker IS NOT NULL AS revised
  FROM keyed AS k
  LEFT JOIN revised_keys AS r ON r.ticker = k.ticker AND r.trade_date = k.trade_date
),

answers AS (
  SELECT
    ticker,
    trade_date,
    open,
    high,
    low,
    close,
    adj_close,
    volume,
    ingested_at,
    ROW_NUMBER() OVER (
      PARTITION BY ticker, trade_date, ingested_at
      ORDER BY
        close DESC NULLS LAST,
        open DESC NULLS LAST,
        high DESC NULLS LAST,
        low DESC NULLS LAST,
        adj_close DESC NULLS LAST,
        volume DESC NULLS LAST
    ) AS copy
  FROM tagged
  WHERE revised
),

merged AS (
  SELECT ticker, trade_date, open, high, low, close, adj_close, volume
  FROM tagged
  WHERE NOT revised
  UNION ALL
  SELECT
    ticker,
    trade_date,
    MAX_BY(open, ingested_at) FILTER (WHERE open IS NOT NULL) AS open,
    MAX_BY(high, ingested_at) FILTER (WHERE high IS NOT NULL) AS high,
    MAX_BY(low, ingested_at) FILTER (WHERE low IS NOT NULL) AS low,
    MAX_BY(close, ingested_at) FILTER (WHERE close IS NOT NULL) AS close,
    MAX_BY(adj_close, ingested_at) FILTER (WHERE adj_close IS NOT NULL) AS adj_close,
    MAX_BY(volume, ingested_at) FILTER (WHERE volume IS NOT NULL) AS volume
  FROM answers
  WHERE copy = 1
  GROUP BY ticker, trade_date
),

run_keys AS (
  SELECT DISTINCT ticker, trade_date FROM raw_input
),

pending_keys AS (
  SELECT DISTINCT ticker, trade_date FROM raw_pending
)

SELECT
  m.ticker AS nome_acao,
  m.trade_date AS data_pregao,
  m.open AS abertura,
  m.close AS fechamento,
  m.high AS max,
  m.low AS min,
  m.volume AS volume_negociado,
  m.adj_close AS fechamento_ajustado,
  CASE
    WHEN m.open IS NULL OR m.high IS NULL OR m.low IS NULL OR m.close IS NULL THEN 'missing_price'
    WHEN m.open <= 0 OR m.high <= 0 OR m.low <= 0 OR m.close <= 0 THEN 'non_positive_price'
    -- NaN sorts above +Infinity in both engines, so "< Infinity" is false for NaN too
    WHEN NOT (
      m.open < CAST('Infinity' AS DOUBLE)
      AND m.high < CAST('Infinity' AS DOUBLE)
      AND m.low < CAST('Infinity' AS DOUBLE)
      AND m.close < CAST('Infinity' AS DOUBLE)
    ) THEN 'non_finite_price'
    WHEN m.volume = 0 AND m.open = m.high AND m.open = m.low AND m.open = m.close THEN 'non_session'
  END AS drop_reason,
  r.ticker IS NOT NULL AS in_run,
  p.ticker IS NOT NULL AS is_pending
FROM merged AS m
LEFT JOIN run_keys AS r ON r.ticker = m.ticker AND r.trade_date = m.trade_date
LEFT JOIN pending_keys AS p ON p.ticker = m.ticker AND p.trade_date = m.trade_date
