import { CreateJobCommand, DeleteJobCommand, GlueClient, type JobRun } from "@aws-sdk/client-glue";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  isRunFor,
  jobRunsSince,
  rawObjectsOf,
  startTransformRuns,
} from "../src/trigger/glue-trigger.ts";
import { startRunsForOtherFiles } from "./glue-runs.ts";

const rawPath = "s3://b3-lake/raw/ingestion_date=2026-11-26/stocks_data.parquet";
const written = new Date("2026-11-26T09:00:00.000Z");

const record = (key: string, eventTime = written.toISOString()) => ({
  eventSource: "aws:s3",
  eventTime,
  s3: { bucket: { name: "b3-lake" }, object: { key } },
});

describe("isRunFor", () => {
  const run = (over: Partial<JobRun>): JobRun => ({
    Id: "jr_1",
    Arguments: { "--raw_path": rawPath },
    StartedOn: new Date(written.getTime() + 1_000),
    JobRunState: "RUNNING",
    ...over,
  });

  it("counts waiting, starting, running and succeeded runs; a run that left no output does not", () => {
    const counts = (state: string) =>
      isRunFor(run({ JobRunState: state as never }), rawPath, written);
    expect(["WAITING", "STARTING", "RUNNING", "SUCCEEDED"].filter(counts)).toEqual([
      "WAITING",
      "STARTING",
      "RUNNING",
      "SUCCEEDED",
    ]);
    expect(["FAILED", "ERROR", "TIMEOUT", "STOPPING", "STOPPED", "EXPIRED"].filter(counts)).toEqual(
      [],
    );
  });

  it("needs the same --raw_path and a start at or after the write", () => {
    expect(isRunFor(run({ Arguments: { "--raw_path": `${rawPath}.bak` } }), rawPath, written)).toBe(
      false,
    );
    expect(isRunFor(run({ Arguments: undefined }), rawPath, written)).toBe(false);
    expect(isRunFor(run({ StartedOn: new Date(written.getTime() - 1) }), rawPath, written)).toBe(
      false,
    );
    expect(isRunFor(run({ StartedOn: written }), rawPath, written)).toBe(true);
    expect(isRunFor(run({ StartedOn: undefined }), rawPath, written)).toBe(true);
  });
});

describe("rawObjectsOf", () => {
  it("skips records it cannot read, by position, and keeps the rest", () => {
    const { raw, ignored, malformed } = rawObjectsOf({
      Records: [
        record("raw/ingestion_date%3D2026-01-0%ZZ/x.parquet"),
        record("raw/ingestion_date%3D2026-11-26/stocks_data.parquet"),
        { eventSource: "aws:s3", eventTime: written.toISOString() },
        record("raw/ingestion_date%3D2026-11-25/stocks_data.parquet", "yesterday"),
        "not a record",
        record("refined/a.parquet"),
      ],
    });
    expect(raw).toEqual([
      {
        bucket: "b3-lake",
        key: "raw/ingestion_date=2026-11-26/stocks_data.parquet",
        ingestionDate: "2026-11-26",
        eventTime: written,
      },
    ]);
    expect(malformed).toEqual([
      {
        record: 0,
        reason: "key raw/ingestion_date%3D2026-01-0%ZZ/x.parquet is not valid URL encoding",
      },
      { record: 2, reason: "s3: Invalid input: expected object, received undefined" },
      { record: 3, reason: "eventTime: Invalid ISO datetime" },
      { record: 4, reason: "record: Invalid input: expected object, received string" },
    ]);
    expect(ignored).toEqual([
      { key: "refined/a.parquet", reason: "not raw/ingestion_date=YYYY-MM-DD/*.parquet" },
    ]);
  });

  it("names each object once, at its newest write", () => {
    const later = "2026-11-26T09:05:00.000Z";
    const { raw } = rawObjectsOf({
      Records: [
        record("raw/ingestion_date%3D2026-11-26/stocks_data.parquet"),
        record("raw/ingestion_date=2026-11-26/stocks_data.parquet", later),
        record("raw/ingestion_date%3D2026-11-26/stocks_data.parquet"),
      ],
    });
    expect(raw).toEqual([
      {
        bucket: "b3-lake",
        key: "raw/ingestion_date=2026-11-26/stocks_data.parquet",
        ingestionDate: "2026-11-26",
        eventTime: new Date(later),
      },
    ]);
  });

  it("rejects an event that is not an S3 notification at all", () => {
    expect(() => rawObjectsOf({ hello: "world" })).toThrow(/not an S3 event notification/);
    expect(() => rawObjectsOf({ Records: "x" })).toThrow(/not an S3 event notification/);
  });
});

describe("against moto's Glue", () => {
  const jobName = "glue_trigger_core_test";
  let glue: GlueClient;
  let getJobRunsCalls = 0;

  beforeAll(async () => {
    glue = new GlueClient({
      endpoint: inject("motoEndpoint"),
      region: "us-east-1",
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    });
    glue.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === "GetJobRunsCommand") getJobRunsCalls++;
        return next(args);
      },
      { step: "initialize" },
    );
    await glue.send(
      new CreateJobCommand({
        Name: jobName,
        Role: "arn:aws:iam::123456789012:role/glue",
        Command: { Name: "glueetl", ScriptLocation: "s3://assets/transform.py" },
        // High enough that runs held by other test files' state-manager settings never refuse ours.
        ExecutionProperty: { MaxConcurrentRuns: 1000 },
      }),
    );
    await startRunsForOtherFiles(glue, jobName, 120);
  });
  afterAll(async () => {
    await glue.send(new DeleteJobCommand({ JobName: jobName }));
  });

  it("pages through every run newer than `since`", async () => {
    getJobRunsCalls = 0;
    const runs = await jobRunsSince(glue, jobName, new Date(Date.now() - 3_600_000));
    expect(getJobRunsCalls).toBe(3);
    expect(new Set(runs.map((r) => r.Id)).size).toBe(120);
    // moto lists oldest first: the last page ends with the newest run.
    expect(runs.at(-1)?.Arguments?.["--raw_path"]).toBe(
      "s3://b3-lake/raw/ingestion_date=2026-10-01/part-119.parquet",
    );
  });

  it("stops at the first page that reaches back before `since`", async () => {
    getJobRunsCalls = 0;
    const runs = await jobRunsSince(glue, jobName, new Date(Date.now() + 3_600_000));
    expect(getJobRunsCalls).toBe(1);
    expect(runs).toHaveLength(50);
  });

  it("logs a malformed record as a warning and starts the good one", async () => {
    const logged: [string, string, Record<string, unknown>][] = [];
    const result = await startTransformRuns({
      glue,
      jobName,
      event: {
        Records: [
          record("raw/ingestion_date%3D2026-01-0%ZZ/x.parquet"),
          record("raw/ingestion_date%3D2026-11-26/stocks_data.parquet"),
        ],
      },
      log: (level, message, details) => logged.push([level, message, details]),
    });
    expect(result.started).toEqual([
      {
        key: "raw/ingestion_date=2026-11-26/stocks_data.parquet",
        runId: expect.stringMatching(/^jr_/),
      },
    ]);
    expect(logged).toEqual([
      [
        "warn",
        "skipped malformed record",
        {
          record: 0,
          reason: "key raw/ingestion_date%3D2026-01-0%ZZ/x.parquet is not valid URL encoding",
        },
      ],
      ["info", "started transform run", { rawPath, runId: result.started[0]?.runId }],
    ]);
  });
});
