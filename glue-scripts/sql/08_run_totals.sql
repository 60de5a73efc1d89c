-- run_totals: one row describing what this run writes. Inputs: partitions_written (05),
-- refined_rows (06), refined_history, refined_all (03), aggregated_rows (07).
--   partitions_written   partitions written with rows
--   partitions_deleted   partitions the lake held that no longer have a row (removed)
WITH written AS (
  SELECT
    COUNT(DISTINCT data_pregao) AS partitions_written,
    MIN(data_pregao) AS first_partition,
    MAX(data_pregao) AS last_partition,
    COUNT(*) AS refined_rows_written
  FROM refined_rows
),

deleted AS (
  SELECT COUNT(*) AS partitions_deleted
  FROM partitions_written AS p
  WHERE
    p.data_pregao NOT IN (SELECT data_pregao FROM refined_rows)
    AND p.data_pregao IN (SELECT data_pregao FROM refined_history)
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
  d.partitions_deleted,
  w.first_partition,
  w.last_partition,
  w.refined_rows_written,
  t.refined_rows_total,
  t.newest_session,
  m.aggregated_rows
FROM written AS w
CROSS JOIN deleted AS d
CROSS JOIN whole_table AS t
CROSS JOIN monthly AS m
