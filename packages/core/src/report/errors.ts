/** The report domain's errors: a lake with nothing to report, a page that cannot be written. */
import { B3Error } from "../errors.ts";

export type ReportErrorCode =
  /** The lake holds no refined session (no lake there yet, or none transformed). */
  | "LakeEmpty"
  /** The page could not be written where asked. */
  | "WriteFailed";

/** The report was not written. */
export class ReportError extends B3Error<ReportErrorCode> {
  override name = "ReportError";
  readonly kind = "report";
}
