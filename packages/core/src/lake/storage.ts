/** Where the lake lives: a local folder or an S3 bucket, addressed by lake-relative keys like `raw/ingestion_date=2026-01-02/stocks_data.parquet`. */
export interface LakeStorage {
  /** Human-readable location of the lake root, e.g. `/home/me/.lake` or `s3://bucket`. */
  readonly root: string;
  /** Writes `body` at `key` atomically: readers see the old object (or none) or the whole new one, never a partial one. */
  put(key: string, body: Uint8Array, options?: { contentType?: string }): Promise<void>;
  /** Reads the object at `key`; throws a `LakeError` with code `NotFound` when it does not exist. */
  get(key: string): Promise<Uint8Array>;
  /** Lake-relative keys under `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /** The URI of `key` that another engine (DuckDB, Spark) can read: an absolute path or `s3://bucket/key`. */
  uri(key: string): string;

  // Conditional writes, for small coordination files such as the lake lock. An etag names one
  // version of an object: it changes whenever the object is replaced.

  /** Writes `body` at `key` only if nothing is there: of concurrent creators exactly one gets the etag, the others `"exists"`. */
  createIfAbsent(key: string, body: Uint8Array): Promise<{ etag: string } | "exists">;
  /** Reads the object at `key` with its etag; throws a `LakeError` with code `NotFound` when it does not exist. */
  getWithVersion(key: string): Promise<{ body: Uint8Array; etag: string }>;
  /** Replaces `key` only if it is still at version `etag`; `"changed"` when it was replaced or removed meanwhile. */
  replaceIfMatch(
    key: string,
    body: Uint8Array,
    etag: string,
  ): Promise<{ etag: string } | "changed">;
  /** Deletes `key` only if it is still at version `etag`; `"changed"` when it was replaced or removed meanwhile. */
  deleteIfMatch(key: string, etag: string): Promise<"deleted" | "changed">;
}
