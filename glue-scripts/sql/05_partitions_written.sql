-- partitions_written: the refined partitions this run replaces (data_pregao).
-- Inputs: candidate_partitions (04), refined_all (03), refined_history (the refined table as the
-- lake holds it; at least the candidate partitions).
--
-- Every own partition, plus each other candidate whose rows differ from the lake's in any column
-- (or where a row exists on one side only). Everything else is left alone, so a run rewrites the
-- partitions of its own sessions plus exactly those whose rows change because of them.
WITH computed AS (
  SELECT a.*
  FROM refined_all AS a
  WHERE a.data_pregao IN (SELECT data_pregao FROM candidate_partitions WHERE NOT is_own)
),

stored AS (
  SELECT h.*
  FROM refined_history AS h
  WHERE h.data_pregao IN (SELECT data_pregao FROM candidate_partitions WHERE NOT is_own)
),

changed AS (
  SELECT DISTINCT COALESCE(c.data_pregao, s.data_pregao) AS data_pregao
  FROM computed AS c
  FULL OUTER JOIN stored AS s
    ON s.nome_acao = c.nome_acao AND s.data_pregao = c.data_pregao
  WHERE
    c.nome_acao IS NULL
    OR s.nome_acao IS NULL
    OR c.abertura IS DISTINCT FROM s.abertura
    OR c.fechamento IS DISTINCT FROM s.fechamento
    OR c.max IS DISTINCT FROM s.max
    OR c.min IS DISTINCT FROM s.min
    OR c.volume_negociado IS DISTINCT FROM s.volume_negociado
    OR c.media_movel_7d IS DISTINCT FROM s.media_movel_7d
    OR c.lag_1d IS DISTINCT FROM s.lag_1d
    OR c.lag_2d IS DISTINCT FROM s.lag_2d
    OR c.lag_3d IS DISTINCT FROM s.lag_3d
    OR c.fechamento_ajustado IS DISTINCT FROM s.fechamento_ajustado
)

SELECT data_pregao FROM candidate_partitions WHERE is_own
UNION ALL
SELECT data_pregao FROM changed
