/** The transform domain's errors. */
import { B3Error } from "../errors.ts";

export type TransformErrorCode =
  /** The run date's raw file is not there. */
  | "RawMissing"
  /** A raw file cannot be read, is empty, or does not have the raw schema. */
  | "RawInvalid"
  /** The raw rows hold no session to write. */
  | "NoSessions"
  /** The engine cannot run here (no pyspark). */
  | "EngineMissing"
  /** The engine ran and failed. */
  | "EngineFailed"
  /** The caller gave neither a raw file nor a date. */
  | "BadCall";

/** A transform that refused its input or could not run; the lake is untouched. */
export class TransformError extends B3Error<TransformErrorCode> {
  override name = "TransformError";
  readonly kind = "transform";
}
