/** A query's answer, the same whichever engine ran it (DuckDB locally, Athena in the cloud). */
export interface QueryResult {
  columns: string[];
  /** Values as JSON-friendly scalars: numbers, strings (dates as YYYY-MM-DD), booleans, null. */
  rows: Array<Array<string | number | boolean | null>>;
}
