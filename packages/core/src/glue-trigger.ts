/** S3 "object created" events on raw/ → one Glue transform run per raw file, never dropped: a run Glue cannot take now fails the invocation so Lambda retries it. */
import { GetJobRunsCommand, type GlueClient, StartJobRunCommand } from "@aws-sdk/client-glue";
import * as z from "zod";
import { ingestionDateOfRawKey } from "./lake-layout.ts";

const s3Event = z.object({
  Records: z.array(
    z.object({
      eventTime: z.string(),
      s3: z.object({
        bucket: z.object({ name: z.string() }),
        object: z.object({ key: z.string() }),
      }),
    }),
  ),
});
export type S3ObjectEvent = z.input<typeof s3Event>;

export interface RawObject {
  bucket: string;
  /** The decoded object key. */
  key: string;
  ingestionDate: string;
  eventTime: Date;
}

/** S3 sends keys URL-encoded, with spaces as "+" (`raw/ingestion_date%3D2026-01-02/…`). */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, " "));
}

/** Splits an S3 event into raw files of our layout and keys we ignore (with why). */
export function rawObjectsOf(event: unknown): {
  raw: RawObject[];
  ignored: { key: string; reason: string }[];
} {
  const parsed = s3Event.safeParse(event);
  if (!parsed.success) {
    throw new Error(
      `not an S3 event notification: ${parsed.error.issues[0]?.message ?? "invalid"}`,
    );
  }
  const raw: RawObject[] = [];
  const ignored: { key: string; reason: string }[] = [];
  for (const record of parsed.data.Records) {
    const key = decodeS3Key(record.s3.object.key);
    const ingestionDate = ingestionDateOfRawKey(key);
    if (ingestionDate === undefined) {
      ignored.push({ key, reason: "not raw/ingestion_date=YYYY-MM-DD/*.parquet" });
      continue;
    }
    raw.push({
      bucket: record.s3.bucket.name,
      key,
      ingestionDate,
      eventTime: new Date(record.eventTime),
    });
  }
  return { raw, ignored };
}

export interface TriggerOptions {
  glue: GlueClient;
  jobName: string;
  event: unknown;
  log?: (message: string, details: Record<string, unknown>) => void;
}

export interface TriggerResult {
  started: { key: string; runId: string }[];
  /** Raw files whose run a previous attempt of this event already started. */
  alreadyStarted: { key: string; runId: string }[];
  ignored: { key: string; reason: string }[];
}

/** Errors after which the run may succeed later: let Lambda retry the event. */
const RETRYABLE = new Set([
  "ConcurrentRunsExceededException",
  "ThrottlingException",
  "ResourceNumberLimitExceededException",
  "OperationTimeoutException",
  "InternalServiceException",
]);

export async function startTransformRuns(options: TriggerOptions): Promise<TriggerResult> {
  const { glue, jobName, log = () => {} } = options;
  const { raw, ignored } = rawObjectsOf(options.event);
  for (const i of ignored) log("ignored key", i);
  const result: TriggerResult = { started: [], alreadyStarted: [], ignored };
  if (raw.length === 0) return result;

  // A retried event must not start the same run twice: look for runs already started for it.
  const recentRuns =
    (await glue.send(new GetJobRunsCommand({ JobName: jobName, MaxResults: 50 }))).JobRuns ?? [];
  const failures: string[] = [];
  for (const object of raw) {
    const rawPath = `s3://${object.bucket}/${object.key}`;
    const earlier = recentRuns.find(
      (run) =>
        run.Arguments?.["--raw_path"] === rawPath &&
        run.StartedOn !== undefined &&
        run.StartedOn.getTime() >= object.eventTime.getTime(),
    );
    if (earlier?.Id) {
      result.alreadyStarted.push({ key: object.key, runId: earlier.Id });
      log("run already started for this object", { rawPath, runId: earlier.Id });
      continue;
    }
    try {
      const { JobRunId } = await glue.send(
        new StartJobRunCommand({
          JobName: jobName,
          // Glue queues a run that exceeds the job's concurrency instead of refusing it.
          JobRunQueuingEnabled: true,
          Arguments: { "--raw_path": rawPath, "--ingestion_date": object.ingestionDate },
        }),
      );
      result.started.push({ key: object.key, runId: JobRunId ?? "" });
      log("started transform run", { rawPath, runId: JobRunId });
    } catch (error) {
      const name = (error as Error).name;
      if (!RETRYABLE.has(name)) throw error;
      failures.push(`${rawPath}: ${name}`);
    }
  }
  if (failures.length > 0) {
    // Started runs are remembered above, so a retry starts only the missing ones.
    throw new Error(
      `Glue could not start ${jobName} now for ${failures.join(", ")}; failing so Lambda retries the event (then the on-failure destination keeps it)`,
    );
  }
  return result;
}
