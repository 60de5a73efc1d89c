-- refined_rows: the complete new content of every refined partition this run writes.
-- Inputs: raw_classified (01), refined_history (the refined table as it is before this run,
-- possibly empty; data_pregao DATE from the partition folder name).
--
-- Partitions written = the data_pregao of the new sessions (and no other). Inside each of them:
--   * every new session, its features computed over the merged per-ticker session sequence
--     (refined history + new sessions), so the first sessions of a new 6-month window see the
--     sessions before the window exactly as earlier runs did;
--   * every history row that no new session replaces (a ticker absent from the new raw, or
--     present but without a session that day), copied unchanged.
-- A history row is replaced only by a new session of the same ticker and day: a row already
-- written is never deleted, and since the merged sequence holds every history session, a
-- recomputed feature never has fewer sessions behind it than before (never NULL where it was set).
--
-- No final ORDER BY: both writers sort by data_pregao when they write the partitions, and a
-- global sort here cost up to half a second on a million rows (npm run bench).
--
-- media_movel_7d is spelled as an explicit sum of the current and 6 previous closes: it is NULL
-- while any of them is missing (fewer than 7 sessions), and both engines add the same doubles in
-- the same order, so they produce bit-identical values.
WITH new_sessions AS (
  SELECT
    nome_acao,
    abertura,
    fechamento,
    max,
    min,
    volume_negociado,
    fechamento_ajustado,
    data_pregao
  FROM raw_classified
  WHERE drop_reason IS NULL
),

kept_history AS (
  SELECT h.*
  FROM refined_history AS h
  LEFT JOIN new_sessions AS n
    ON n.nome_acao = h.nome_acao AND n.data_pregao = h.data_pregao
  WHERE n.nome_acao IS NULL
),

merged_sequence AS (
  SELECT
    nome_acao,
    abertura,
    fechamento,
    max,
    min,
    volume_negociado,
    fechamento_ajustado,
    data_pregao,
    TRUE AS is_new
  FROM new_sessions
  UNION ALL
  SELECT
    nome_acao,
    abertura,
    fechamento,
    max,
    min,
    volume_negociado,
    fechamento_ajustado,
    data_pregao,
    FALSE AS is_new
  FROM kept_history
  WHERE nome_acao IN (SELECT nome_acao FROM new_sessions)
),

with_previous AS (
  SELECT
    s.*,
    LAG(fechamento, 1) OVER (PARTITION BY nome_acao ORDER BY data_pregao) AS prev_1,
    LAG(fechamento, 2) OVER (PARTITION BY nome_acao ORDER BY data_pregao) AS prev_2,
    LAG(fechamento, 3) OVER (PARTITION BY nome_acao ORDER BY data_pregao) AS prev_3,
    LAG(fechamento, 4) OVER (PARTITION BY nome_acao ORDER BY data_pregao) AS prev_4,
    LAG(fechamento, 5) OVER (PARTITION BY nome_acao ORDER BY data_pregao) AS prev_5,
    LAG(fechamento, 6) OVER (PARTITION BY nome_acao ORDER BY data_pregao) AS prev_6
  FROM merged_sequence AS s
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
FROM with_previous
WHERE is_new
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
FROM kept_history
WHERE data_pregao IN (SELECT data_pregao FROM new_sessions)
