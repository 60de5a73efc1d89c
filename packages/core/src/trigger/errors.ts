/** The trigger domain's errors. */
import { B3Error } from "../errors.ts";

export type TriggerErrorCode =
  /** The event is not an S3 event notification at all. */
  | "NotAnS3Event"
  /** Glue refused to start a run for now: the invocation fails so that Lambda retries the event. */
  | "GlueBusy";

export class TriggerError extends B3Error<TriggerErrorCode> {
  override name = "TriggerError";
  readonly kind = "trigger";
}
