/** The query domain's errors: Athena's and Trino's refusals, and the local Trino's missing prerequisites. */
import { B3Error, type B3ErrorOptions } from "../errors.ts";

export type AthenaQueryErrorCode = "NotStarted" | "Failed" | "Cancelled" | "TimedOut";

/** Athena said the query failed or was cancelled (in Athena's own words), or it did not end in time. */
export class AthenaQueryError extends B3Error<AthenaQueryErrorCode> {
  override name = "AthenaQueryError";
  readonly kind = "athena";
}

export type TrinoQueryErrorCode = "QueryFailed" | "HttpError";

/** A query Trino refused or failed: its message, error name and position in the SQL. */
export class TrinoQueryError extends B3Error<TrinoQueryErrorCode> {
  override name = "TrinoQueryError";
  readonly kind = "trino-query";
  /** Trino's own name for the error (`TABLE_NOT_FOUND`, …), when it gave one. */
  readonly errorName: string | undefined;
  readonly sql: string;
  constructor(
    code: TrinoQueryErrorCode,
    message: string,
    options: B3ErrorOptions & { errorName?: string | undefined; sql: string },
  ) {
    super(code, message, options);
    this.errorName = options.errorName;
    this.sql = options.sql;
  }
}

export type TrinoSetupErrorCode =
  | "JavaMissing"
  | "DownloadFailed"
  | "ChecksumMismatch"
  | "UnpackFailed"
  | "StartFailed"
  | "Busy";

/** A missing prerequisite of the local Trino (Java, the download), or a server that would not start. */
export class TrinoSetupError extends B3Error<TrinoSetupErrorCode> {
  override name = "TrinoSetupError";
  readonly kind = "trino-setup";
}
