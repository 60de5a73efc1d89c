-- empty_refined_history: a refined table with no rows, for the host to register as
-- refined_history when the lake has no refined/ files yet (first run).
SELECT
  CAST(NULL AS STRING) AS nome_acao,
  CAST(NULL AS DOUBLE) AS abertura,
  CAST(NULL AS DOUBLE) AS fechamento,
  CAST(NULL AS DOUBLE) AS max,
  CAST(NULL AS DOUBLE) AS min,
  CAST(NULL AS BIGINT) AS volume_negociado,
  CAST(NULL AS DOUBLE) AS media_movel_7d,
  CAST(NULL AS DOUBLE) AS lag_1d,
  CAST(NULL AS DOUBLE) AS lag_2d,
  CAST(NULL AS DOUBLE) AS lag_3d,
  CAST(NULL AS DOUBLE) AS fechamento_ajustado,
  CAST(NULL AS DATE) AS data_pregao
WHERE 1 = 0
