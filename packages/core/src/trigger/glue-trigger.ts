/** S3 "object created" events on raw/ → one Glue transform run per raw file write, never dropped nor doubled: a record that cannot be read is skipped, a run Glue cannot take now fails the invocation so Lambda retries it. */
import {
  type GlueClient,
  type JobRun,
  paginateGetJobRuns,
  StartJobRunCommand,
} from "@aws-sdk/client-glue";
import * as z from "zod";
import { ingestionDateOfRawKey } from "../lake/layout.ts";
import { TriggerError } from "./errors.ts";

// Only the envelope is checked as a whole: one bad record must not cost the others their run.
const s3Event = z.object({ Records: z.array(z.unknown()) });
const s3Record = z.object({
  eventTime: z.iso.datetime(),
  s3: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({ key: z.string() }),
  }),
});
export type S3ObjectEvent = { Records: z.input<typeof s3Record>[] };

export interface RawObject {
  bucket: string;
  /** The decoded object key. */
  key: string;
  ingestionDate: string;
  /** When S3 finished writing the object (the newest write, when an event names it twice). */
  eventTime: Date;
}

/** S3 sends keys URL-encoded, with spaces as "+" (`raw/ingestion_date%3D2026-01-02/…`); throws URIError on malformed encoding. */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, " "));
}

/** Splits an S3 event into raw files of our layout (one per object), keys we ignore and records we cannot read (with why). */
export function rawObjectsOf(event: unknown): {
  raw: RawObject[];
  ignored: { key: string; reason: string }[];
  malformed: { record: number; reason: string }[];
} {
  const parsed = s3Event.safeParse(event);
  if (!parsed.success) {
    throw new TriggerError(
      "NotAnS3Event",
      `not an S3 event notification: ${parsed.error.issues[0]?.message ?? "invalid"}`,
    );
  }
  const raw = new Map<string, RawObject>();
  const ignored: { key: string; reason: string }[] = [];
  const malformed: { record: number; reason: string }[] = [];
  parsed.data.Records.forEach((candidate, index) => {
    const record = s3Record.safeParse(candidate);
    if (!record.success) {
      const issue = record.error.issues[0];
      malformed.push({
        record: index,
        reason: `${issue?.path.join(".") || "record"}: ${issue?.message}`,
      });
      return;
    }
    const encodedKey = record.data.s3.object.key;
    let key: string;
    try {
      key = decodeS3Key(encodedKey);
    } catch {
      malformed.push({ record: index, reason: `key ${encodedKey} is not valid URL encoding` });
      return;
    }
    const ingestionDate = ingestionDateOfRawKey(key);
    if (ingestionDate === undefined) {
      ignored.push({ key, reason: "not raw/ingestion_date=YYYY-MM-DD/*.parquet" });
      return;
    }
    const bucket = record.data.s3.bucket.name;
    const eventTime = new Date(record.data.eventTime);
    const seen = raw.get(`${bucket}/${key}`);
    // One run after the newest write covers every write of the object in this event.
    if (seen === undefined || seen.eventTime < eventTime) {
      raw.set(`${bucket}/${key}`, { bucket, key, ingestionDate, eventTime });
    }
  });
  return { raw: [...raw.values()], ignored, malformed };
}

/** Runs in these states leave no output, so the file may get a new run (behind a STOPPING one, Glue queues it). */
const ENDED_WITHOUT_OUTPUT = new Set([
  "FAILED",
  "ERROR",
  "TIMEOUT",
  "STOPPING",
  "STOPPED",
  "EXPIRED",
]);

/** Whether `run` covers the raw file at `rawPath` written at `since`: it names that file, started at or after `since`, and is waiting, running or succeeded. */
export function isRunFor(run: JobRun, rawPath: string, since: Date): boolean {
  return (
    run.Arguments?.["--raw_path"] === rawPath &&
    // A run without a start time has not started yet, so it will read the file as written.
    (run.StartedOn === undefined || run.StartedOn >= since) &&
    !ENDED_WITHOUT_OUTPUT.has(run.JobRunState ?? "")
  );
}

/** S3's eventTime and Glue's StartedOn come from different clocks: a run this much "before" the write still counts as after it. */
export const CLOCK_SKEW_MS = 60_000;

/** The job's runs, from the newest down to the first page that reaches back before `since`. */
export async function jobRunsSince(
  glue: GlueClient,
  jobName: string,
  since: Date,
): Promise<JobRun[]> {
  const runs: JobRun[] = [];
  for await (const page of paginateGetJobRuns(
    { client: glue, pageSize: 50 },
    { JobName: jobName },
  )) {
    const pageRuns = page.JobRuns ?? [];
    runs.push(...pageRuns);
    // GetJobRuns lists newest first, so the pages after this one hold only older runs.
    if (pageRuns.some((run) => run.StartedOn !== undefined && run.StartedOn < since)) break;
  }
  return runs;
}

export interface TriggerOptions {
  glue: GlueClient;
  jobName: string;
  event: unknown;
  log?: (level: "info" | "warn", message: string, details: Record<string, unknown>) => void;
}

export interface TriggerResult {
  started: { key: string; runId: string }[];
  /** Raw files that already have a run since they were written (a re-delivered or retried event). */
  alreadyStarted: { key: string; runId: string }[];
  ignored: { key: string; reason: string }[];
  /** Records that could not be read (bad URL encoding, missing fields), by position in the event. */
  malformed: { record: number; reason: string }[];
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
  const { raw, ignored, malformed } = rawObjectsOf(options.event);
  for (const i of ignored) log("info", "ignored key", i);
  for (const m of malformed) log("warn", "skipped malformed record", m);
  const result: TriggerResult = { started: [], alreadyStarted: [], ignored, malformed };
  if (raw.length === 0) return result;

  const sinceOf = (object: RawObject) => new Date(object.eventTime.getTime() - CLOCK_SKEW_MS);
  // A re-delivered or retried event must not start a second run: look at every run since the oldest write.
  const oldest = raw.reduce((a, b) => (a.eventTime <= b.eventTime ? a : b));
  const earlierRuns = await jobRunsSince(glue, jobName, sinceOf(oldest));
  const failures: string[] = [];
  for (const object of raw) {
    const rawPath = `s3://${object.bucket}/${object.key}`;
    const earlier = earlierRuns.find((run) => isRunFor(run, rawPath, sinceOf(object)));
    if (earlier?.Id) {
      result.alreadyStarted.push({ key: object.key, runId: earlier.Id });
      log("info", "run already started for this object", { rawPath, runId: earlier.Id });
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
      log("info", "started transform run", { rawPath, runId: JobRunId });
    } catch (error) {
      const name = (error as Error).name;
      if (!RETRYABLE.has(name)) throw error;
      failures.push(`${rawPath}: ${name}`);
    }
  }
  if (failures.length > 0) {
    // Started runs are found by the lookup above, so a retry starts only the missing ones.
    throw new TriggerError(
      "GlueBusy",
      `Glue could not start ${jobName} now for ${failures.join(", ")}; failing so Lambda retries the event (then the on-failure destination keeps it)`,
    );
  }
  return result;
}
