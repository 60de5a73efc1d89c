-- raw_classified: every row of the new raw file in the refined vocabulary (DESIGN §5 renames),
-- with drop_reason NULL when the row is a session and the reason it is not one otherwise.
-- Input view: raw_input (the raw table of DESIGN §4).
--
-- Reasons, checked in this order (a row gets the first that applies):
--   missing_key         ticker or trade_date is NULL (the raw schema makes them required)
--   duplicate           another row of the same (ticker, trade_date) was ingested later
--   missing_price       open, high, low or close is NULL
--   non_positive_price  open, high, low or close is <= 0 (e.g. an unfinished same-day bar of zeros)
--   non_finite_price    open, high, low or close is NaN or +Infinity
--   non_session         volume 0 with open = high = low = close (Yahoo's quote for a B3 holiday)
--
-- Duplicates: the latest ingested_at wins; equal ingested_at falls back to the prices and volume
-- (largest first, NULLs last) so that both engines keep the same row.
WITH versioned AS (
  SELECT
    ticker,
    trade_date,
    open,
    high,
    low,
    close,
    adj_close,
    volume,
    ROW_NUMBER() OVER (
      PARTITION BY ticker, trade_date
      ORDER BY
        ingested_at DESC NULLS LAST,
        close DESC NULLS LAST,
        open DESC NULLS LAST,
        high DESC NULLS LAST,
        low DESC NULLS LAST,
        adj_close DESC NULLS LAST,
        volume DESC NULLS LAST
    ) AS version
  FROM raw_input
)
SELECT
  ticker AS nome_acao,
  trade_date AS data_pregao,
  open AS abertura,
  close AS fechamento,
  high AS max,
  low AS min,
  volume AS volume_negociado,
  adj_close AS fechamento_ajustado,
  CASE
    WHEN ticker IS NULL OR trade_date IS NULL THEN 'missing_key'
    WHEN version > 1 THEN 'duplicate'
    WHEN open IS NULL OR high IS NULL OR low IS NULL OR close IS NULL THEN 'missing_price'
    WHEN open <= 0 OR high <= 0 OR low <= 0 OR close <= 0 THEN 'non_positive_price'
    -- NaN sorts above +Infinity in both engines, so "< Infinity" is false for NaN too
    WHEN NOT (
      open < CAST('Infinity' AS DOUBLE)
      AND high < CAST('Infinity' AS DOUBLE)
      AND low < CAST('Infinity' AS DOUBLE)
      AND close < CAST('Infinity' AS DOUBLE)
    ) THEN 'non_finite_price'
    WHEN volume = 0 AND open = high AND open = low AND open = close THEN 'non_session'
  END AS drop_reason
FROM versioned
