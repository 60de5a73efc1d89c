/** The lake domain's errors: a storage operation that failed, and a raw file that cannot be read. */
import { B3Error, type B3ErrorOptions } from "../errors.ts";

export type LakeErrorCode =
  | "NotFound"
  | "AccessDenied"
  | "Unreachable"
  | "InvalidLocation"
  | "WriteFailed"
  | "Locked";

/** A lake operation that failed, with a cause a person can act on. */
export class LakeError extends B3Error<LakeErrorCode> {
  override name = "LakeError";
  readonly kind = "lake";
  /** The lake-relative key the operation was about, when there is one. */
  readonly key: string | undefined;
  constructor(
    code: LakeErrorCode,
    message: string,
    options: B3ErrorOptions & { key?: string } = {},
  ) {
    super(code, message, options);
    this.key = options.key;
  }
}

export type RawFileErrorCode = "NotParquet" | "NotRaw";

/** The bytes are not a readable raw file: not Parquet, cut short, or without the raw columns. */
export class RawFileError extends B3Error<RawFileErrorCode> {
  override name = "RawFileError";
  readonly kind = "raw-file";
}
