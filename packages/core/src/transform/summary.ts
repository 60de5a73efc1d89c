/** What a transform run did, in the same shape whichever engine ran it (the Glue job prints this JSON too). */
export interface TransformSummary {
  raw_path: string;
  lake_root: string;
  raw_rows: number;
  sessions: number;
  sessions_per_ticker: Record<string, number>;
  /** Raw rows that are not sessions, per reason (holiday quotes, duplicates, zero prices, …). */
  dropped: Record<string, number>;
  partitions_written: number;
  /** Partitions the lake held that no longer have a row (a key that stopped being a session), removed. */
  partitions_deleted: number;
  first_partition: string;
  last_partition: string;
  refined_rows_written: number;
  refined_rows_total: number;
  newest_session: string;
  aggregated_rows: number;
}
