-- refined_rows: the complete new content of every partition in partitions_written (05), from
-- refined_all (03). A written partition without a row here is deleted by the writer.
--
-- No ORDER BY: both writers sort by data_pregao when they write the partitions.
SELECT a.*
FROM refined_all AS a
WHERE a.data_pregao IN (SELECT data_pregao FROM partitions_written)
