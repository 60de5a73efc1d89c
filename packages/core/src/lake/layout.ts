/** Lake-relative keys of the pipeline's tables, the same in S3 and in a local folder. */

export const RAW_FILE_NAME = "stocks_data.parquet";

/** `raw/ingestion_date=D/stocks_data.parquet`: one raw file per run date. */
export function rawKey(ingestionDate: string): string {
  return `raw/ingestion_date=${ingestionDate}/${RAW_FILE_NAME}`;
}

/** The ingestion date in a raw key, or undefined when the key is not a raw file of our layout. */
export function ingestionDateOfRawKey(key: string): string | undefined {
  const match = /^raw\/ingestion_date=(\d{4}-\d{2}-\d{2})\/[^/]+\.parquet$/.exec(key);
  return match?.[1];
}
