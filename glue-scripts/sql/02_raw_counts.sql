-- raw_counts: rows of the new raw file per ticker and drop_reason (NULL = kept as a session).
-- Input: raw_classified (01). For the run summary: sessions per ticker, drops per reason.
SELECT
  nome_acao,
  drop_reason,
  COUNT(*) AS row_count
FROM raw_classified
GROUP BY nome_acao, drop_reason
ORDER BY nome_acao NULLS FIRST, drop_reason NULLS FIRST
