-- refined_all: the whole refined table as one transform over every raw row ever extracted gives
-- it: every merged session (raw_classified, 01) with its features over the ticker's sessions.
--
-- media_movel_7d is spelled as an explicit sum of the current and 6 previous closes: it is NULL
-- while any of them is missing (fewer than 7 sessions), and both engines add the same doubles in
-- the same order, so they produce bit-identical values. lag_kd = the close k sessions earlier.
-- Holidays and dropped rows are not sessions.
WITH sessions AS (
  SELECT
    nome_acao,
    abertura,
    fechamento,
    max,
    min,
    volume_negociado,
    fechamento_ajustado,
    data_pregao,
    LAG(fechamento, 1) OVER (PARTITION BY nome_acao ORDER BY data_pregao) AS prev_1,
    LAG(fechamento, 2) OVER (PARTITION BY nome_acao ORDER BY data_pregao) AS prev_2,
    LAG(fechamento, 3) OVER (PARTITION BY nome_acao ORDER BY data_pregao) AS prev_3,
    LAG(fechamento, 4) OVER (PARTITION BY nome_acao ORDER BY data_pregao) AS prev_4,
    LAG(fechamento, 5) OVER (PARTITION BY nome_acao ORDER BY data_pregao) AS prev_5,
    LAG(fechamento, 6) OVER (PARTITION BY nome_acao ORDER BY data_pregao) AS prev_6
  FROM raw_classified
  WHERE drop_reason IS NULL
)

SELECT
  nome_acao,
  abertura,
  fechamento,
  max,
  min,
  volume_negociado,
  (prev_6 + prev_5 + prev_4 + prev_3 + prev_2 + prev_1 + fechamento) / 7 AS media_movel_7d,
  prev_1 AS lag_1d,
  prev_2 AS lag_2d,
  prev_3 AS lag_3d,
  fechamento_ajustado,
  data_pregao
FROM sessions
