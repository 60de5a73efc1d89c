import {
  CreateJobCommand,
  DeleteJobCommand,
  GetJobRunsCommand,
  GlueClient,
  type JobRun,
  paginateGetJobRuns,
} from "@aws-sdk/client-glue";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { startRunsForOtherFiles } from "../../core/test/glue-runs.ts";

const jobName = "transform_job_test";
let glue: GlueClient;
let handler: (event: unknown) => Promise<{
  started: { key: string; runId: string }[];
  alreadyStarted: { key: string; runId: string }[];
  ignored: { key: string; reason: string }[];
  malformed: { record: number; reason: string }[];
}>;

/** An S3 notification as S3 sends it: keys URL-encoded, spaces as "+". */
const s3Event = (...keys: string[]) => ({
  Records: keys.map((key, i) => ({
    eventVersion: "2.1",
    eventSource: "aws:s3",
    awsRegion: "us-east-1",
    eventTime: new Date(Date.now() - 60_000 + i).toISOString(),
    eventName: "ObjectCreated:Put",
    s3: {
      s3SchemaVersion: "1.0",
      configurationId: "raw-parquet",
      bucket: { name: "b3-lake", arn: "arn:aws:s3:::b3-lake" },
      object: { key, size: 1234, eTag: "abc", sequencer: "00" },
    },
  })),
});

async function createJob(maxConcurrentRuns: number) {
  await glue.send(
    new CreateJobCommand({
      Name: jobName,
      Role: "arn:aws:iam::123456789012:role/glue",
      Command: { Name: "glueetl", ScriptLocation: "s3://assets/transform.py" },
      GlueVersion: "6.0",
      ExecutionProperty: { MaxConcurrentRuns: maxConcurrentRuns },
      DefaultArguments: { "--lake_root": "s3://b3-lake/" },
    }),
  );
}

/** The job (at most `maxConcurrentRuns` at once), then the handler's answer to S3 events of `keys`. */
async function handleWithJob(maxConcurrentRuns: number, ...keys: string[]) {
  await createJob(maxConcurrentRuns);
  return handler(s3Event(...keys));
}

/** Job runs hold in their current state until advanced by hand (moto's state manager). */
async function holdJobRuns() {
  await fetch(`${inject("motoEndpoint")}/moto-api/state-manager/set-transition`, {
    method: "POST",
    body: JSON.stringify({
      model_name: "glue::job_run",
      transition: { progression: "manual", times: 1000 },
    }),
  });
}

async function releaseJobRuns() {
  await fetch(`${inject("motoEndpoint")}/moto-api/state-manager/unset-transition`, {
    method: "POST",
    body: JSON.stringify({ model_name: "glue::job_run" }),
  });
}

/** Every run of the job, through all of GetJobRuns' pages. */
async function allRuns(): Promise<JobRun[]> {
  const all: JobRun[] = [];
  for await (const page of paginateGetJobRuns({ client: glue }, { JobName: jobName })) {
    all.push(...(page.JobRuns ?? []));
  }
  return all;
}

const runs = async () => (await allRuns()).map((r) => r.Arguments);

beforeAll(async () => {
  const endpoint = inject("motoEndpoint");
  vi.stubEnv("SST_RESOURCE_App", JSON.stringify({ name: "b3-pipeline", stage: "test" }));
  vi.stubEnv(
    "SST_RESOURCE_TransformJob",
    JSON.stringify({ name: jobName, arn: `arn:aws:glue:us-east-1:123456789012:job/${jobName}` }),
  );
  vi.stubEnv("AWS_ENDPOINT_URL_GLUE", endpoint);
  vi.stubEnv("AWS_ACCESS_KEY_ID", "testing");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "testing");
  vi.stubEnv("AWS_REGION", "us-east-1");
  vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
  glue = new GlueClient({ endpoint, region: "us-east-1" });
  ({ handler } = await import("../src/trigger-glue.ts"));
});
afterEach(async () => {
  await releaseJobRuns();
  await glue.send(new DeleteJobCommand({ JobName: jobName }));
});

describe("trigger-glue handler against moto's Glue", () => {
  it("decodes the key and starts the job with --raw_path and --ingestion_date", async () => {
    const result = await handleWithJob(1, "raw/ingestion_date%3D2026-11-26/stocks_data.parquet");
    expect(result.started).toEqual([
      { key: "raw/ingestion_date=2026-11-26/stocks_data.parquet", runId: expect.any(String) },
    ]);
    expect(await runs()).toEqual([
      {
        "--lake_root": "s3://b3-lake/",
        "--raw_path": "s3://b3-lake/raw/ingestion_date=2026-11-26/stocks_data.parquet",
        "--ingestion_date": "2026-11-26",
      },
    ]);
  });

  it("decodes '+' as a space", async () => {
    const result = await handleWithJob(1, "raw/ingestion_date%3D2026-11-26/my+file.parquet");
    expect(result.started[0]?.key).toBe("raw/ingestion_date=2026-11-26/my file.parquet");
    expect((await runs())[0]?.["--raw_path"]).toBe(
      "s3://b3-lake/raw/ingestion_date=2026-11-26/my file.parquet",
    );
  });

  it("ignores keys outside raw/ingestion_date=YYYY-MM-DD/*.parquet, starting nothing for them", async () => {
    const result = await handleWithJob(
      1,
      "raw/stocks_data.parquet",
      "raw/ingestion_date%3Dtoday/x.parquet",
      "refined/data_pregao%3D2026-01-02/a.parquet",
    );
    expect(result.started).toEqual([]);
    expect(result.ignored.map((i) => i.key)).toEqual([
      "raw/stocks_data.parquet",
      "raw/ingestion_date=today/x.parquet",
      "refined/data_pregao=2026-01-02/a.parquet",
    ]);
    expect(await runs()).toEqual([]);
  });

  it("handles every record of an event", async () => {
    const result = await handleWithJob(
      5,
      "raw/ingestion_date%3D2026-11-25/stocks_data.parquet",
      "raw/ingestion_date%3D2026-11-26/stocks_data.parquet",
    );
    expect(result.started).toHaveLength(2);
    expect((await runs()).map((a) => a?.["--ingestion_date"]).sort()).toEqual([
      "2026-11-25",
      "2026-11-26",
    ]);
  });

  it("ConcurrentRunsExceeded fails the invocation; the retry starts only what is missing", async () => {
    await createJob(1);
    await holdJobRuns();
    const event = s3Event(
      "raw/ingestion_date%3D2026-11-25/stocks_data.parquet",
      "raw/ingestion_date%3D2026-11-26/stocks_data.parquet",
    );
    await expect(handler(event)).rejects.toThrow(
      /could not start transform_job_test now for s3:\/\/b3-lake\/raw\/ingestion_date=2026-11-26\/stocks_data\.parquet: ConcurrentRunsExceededException; failing so Lambda retries/,
    );
    expect(await runs()).toHaveLength(1);
    // The first run finishes; Lambda retries the same event.
    await releaseJobRuns();
    await glue.send(new GetJobRunsCommand({ JobName: jobName })); // advances moto's runs to SUCCEEDED
    const retry = await handler(event);
    expect(retry.alreadyStarted.map((r) => r.key)).toEqual([
      "raw/ingestion_date=2026-11-25/stocks_data.parquet",
    ]);
    expect(retry.started.map((r) => r.key)).toEqual([
      "raw/ingestion_date=2026-11-26/stocks_data.parquet",
    ]);
    expect(await runs()).toHaveLength(2);
  });

  it("an event delivered again starts no second run, whether the first is starting or done", async () => {
    await createJob(1);
    await holdJobRuns();
    const event = s3Event("raw/ingestion_date%3D2026-11-26/stocks_data.parquet");
    const first = await handler(event);
    const [run] = first.started;
    expect(run?.runId).toMatch(/^jr_/);
    const key = "raw/ingestion_date=2026-11-26/stocks_data.parquet";

    expect((await allRuns()).map((r) => r.JobRunState)).toEqual(["STARTING"]);
    const whileStarting = await handler(event);
    expect(whileStarting).toEqual({
      started: [],
      alreadyStarted: [{ key, runId: run?.runId }],
      ignored: [],
      malformed: [],
    });

    await releaseJobRuns();
    expect((await allRuns()).map((r) => r.JobRunState)).toEqual(["SUCCEEDED"]);
    const afterSuccess = await handler(event);
    expect(afterSuccess.started).toEqual([]);
    expect(afterSuccess.alreadyStarted).toEqual([{ key, runId: run?.runId }]);
    expect((await allRuns()).map((r) => r.Id)).toEqual([run?.runId]);
  });

  it("finds the object's run past GetJobRuns' first page (121 runs)", async () => {
    await createJob(1);
    // 120 runs for other raw files, all newer than the object's write.
    await startRunsForOtherFiles(glue, jobName, 120, { withIngestionDate: true });
    const event = s3Event("raw/ingestion_date%3D2026-11-26/stocks_data.parquet");
    const runId = (await handler(event)).started[0]?.runId;
    expect(runId).toMatch(/^jr_/);
    // moto lists oldest first, so the object's run is on the third page of 50.
    const pages: string[][] = [];
    for await (const page of paginateGetJobRuns(
      { client: glue, pageSize: 50 },
      { JobName: jobName },
    )) {
      pages.push((page.JobRuns ?? []).map((r) => r.Id ?? ""));
    }
    expect(pages.map((p) => p.length)).toEqual([50, 50, 21]);
    expect(pages[2]?.at(-1)).toBe(runId);

    const again = await handler(event);
    expect(again.started).toEqual([]);
    expect(again.alreadyStarted).toEqual([
      { key: "raw/ingestion_date=2026-11-26/stocks_data.parquet", runId },
    ]);
    const all = await allRuns();
    expect(all).toHaveLength(121);
    expect(
      all.filter(
        (r) =>
          r.Arguments?.["--raw_path"] ===
          "s3://b3-lake/raw/ingestion_date=2026-11-26/stocks_data.parquet",
      ),
    ).toMatchObject([{ Id: runId, Arguments: { "--ingestion_date": "2026-11-26" } }]);
  });

  it("skips and reports unreadable records; the good record next to them still starts", async () => {
    await createJob(5);
    const { Records } = s3Event(
      "raw/ingestion_date%3D2026-01-0%ZZ/x.parquet",
      "raw/ingestion_date%3D2026-11-26/stocks_data.parquet",
    );
    const noObject = { eventSource: "aws:s3", eventTime: new Date().toISOString(), s3: {} };
    const result = await handler({ Records: [...Records, noObject] });
    expect(result.started).toEqual([
      { key: "raw/ingestion_date=2026-11-26/stocks_data.parquet", runId: expect.any(String) },
    ]);
    expect(result.malformed).toEqual([
      {
        record: 0,
        reason: "key raw/ingestion_date%3D2026-01-0%ZZ/x.parquet is not valid URL encoding",
      },
      { record: 2, reason: "s3.bucket: Invalid input: expected object, received undefined" },
    ]);
    const all = await allRuns();
    expect(all.map((r) => r.Id)).toEqual([result.started[0]?.runId]);
    expect(all[0]?.Arguments?.["--raw_path"]).toBe(
      "s3://b3-lake/raw/ingestion_date=2026-11-26/stocks_data.parquet",
    );
  });

  it("an event naming the same object twice starts one run", async () => {
    const result = await handleWithJob(
      5,
      "raw/ingestion_date%3D2026-11-26/stocks_data.parquet",
      "raw/ingestion_date=2026-11-26/stocks_data.parquet",
      "raw/ingestion_date%3D2026-11-25/stocks_data.parquet",
    );
    expect(result.started.map((r) => r.key)).toEqual([
      "raw/ingestion_date=2026-11-26/stocks_data.parquet",
      "raw/ingestion_date=2026-11-25/stocks_data.parquet",
    ]);
    expect(result.alreadyStarted).toEqual([]);
    const all = await allRuns();
    expect(all.map((r) => r.Id).sort()).toEqual(result.started.map((r) => r.runId).sort());
    expect(all.map((r) => r.Arguments?.["--ingestion_date"]).sort()).toEqual([
      "2026-11-25",
      "2026-11-26",
    ]);
  });

  it("an event that is not an S3 notification is an error, not a silent no-op", async () => {
    await createJob(1);
    await expect(handler({ hello: "world" })).rejects.toThrow(/not an S3 event notification/);
  });
});
