-- run_totals: one row describing what this run writes. Inputs: refined_rows (03),
-- refined_all (04), aggregated_rows (05).
WITH written AS (
  SELECT
    COUNT(DISTINCT data_pregao) AS partitions_written,
    MIN(data_pregao) AS first_partition,
    MAX(data_pregao) AS last_partition,
    COUNT(*) AS refined_rows_written
  FROM refined_rows
),

whole_table AS (
  SELECT
    COUNT(*) AS refined_rows_total,
    MAX(data_pregao) AS newest_session
  FROM refined_all
),

monthly AS (
  SELECT COUNT(*) AS aggregated_rows FROM aggregated_rows
)

SELECT
  w.partitions_written,
  w.first_partition,
  w.last_partition,
  w.refined_rows_written,
  t.refined_rows_total,
  t.newest_session,
  m.aggregated_rows
FROM written AS w
CROSS JOIN whole_table AS t
CROSS JOIN monthly AS m
