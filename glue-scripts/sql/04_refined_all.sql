-- refined_all: the whole refined table as it will be once refined_rows (03) is written: the
-- history outside the partitions this run writes, plus those partitions' new content.
-- Inputs: refined_history, refined_rows (03). Feeds the monthly aggregate and the run summary.
SELECT
  nome_acao,
  abertura,
  fechamento,
  max,
  min,
  volume_negociado,
  media_movel_7d,
  lag_1d,
  lag_2d,
  lag_3d,
  fechamento_ajustado,
  data_pregao
FROM refined_history AS h
WHERE NOT EXISTS (SELECT 1 FROM refined_rows AS r WHERE r.data_pregao = h.data_pregao)
UNION ALL
SELECT
  nome_acao,
  abertura,
  fechamento,
  max,
  min,
  volume_negociado,
  media_movel_7d,
  lag_1d,
  lag_2d,
  lag_3d,
  fechamento_ajustado,
  data_pregao
FROM refined_rows
