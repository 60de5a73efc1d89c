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
}

export type LakeErrorCode =
  | "NotFound"
  | "AccessDenied"
  | "Unreachable"
  | "InvalidLocation"
  | "WriteFailed";

/** A lake operation that failed, with a cause a person can act on. */
export class LakeError extends Error {
  override name = "LakeError";
  readonly code: LakeErrorCode;
  readonly key: string | undefined;
  constructor(code: LakeErrorCode, message: string, options?: { key?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.key = options?.key;
  }
}
