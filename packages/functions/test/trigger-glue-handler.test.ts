import {
  CreateJobCommand,
  DeleteJobCommand,
  GetJobRunsCommand,
  GlueClient,
} from "@aws-sdk/client-glue";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";

const jobName = "transform_job_test";
let glue: GlueClient;
let handler: (event: unknown) => Promise<{
  started: { key: string; runId: string }[];
  alreadyStarted: { key: string; runId: string }[];
  ignored: { key: string; reason: string }[];
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

const runs = async () =>
  ((await glue.send(new GetJobRunsCommand({ JobName: jobName }))).JobRuns ?? []).map(
    (r) => r.Arguments,
  );

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
    await createJob(1);
    const result = await handler(s3Event("raw/ingestion_date%3D2026-11-26/stocks_data.parquet"));
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
    await createJob(1);
    const result = await handler(s3Event("raw/ingestion_date%3D2026-11-26/my+file.parquet"));
    expect(result.started[0]?.key).toBe("raw/ingestion_date=2026-11-26/my file.parquet");
    expect((await runs())[0]?.["--raw_path"]).toBe(
      "s3://b3-lake/raw/ingestion_date=2026-11-26/my file.parquet",
    );
  });

  it("ignores keys outside raw/ingestion_date=YYYY-MM-DD/*.parquet, starting nothing for them", async () => {
    await createJob(1);
    const result = await handler(
      s3Event(
        "raw/stocks_data.parquet",
        "raw/ingestion_date%3Dtoday/x.parquet",
        "refined/data_pregao%3D2026-01-02/a.parquet",
      ),
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
    await createJob(5);
    const result = await handler(
      s3Event(
        "raw/ingestion_date%3D2026-11-25/stocks_data.parquet",
        "raw/ingestion_date%3D2026-11-26/stocks_data.parquet",
      ),
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

  it("an event that is not an S3 notification is an error, not a silent no-op", async () => {
    await createJob(1);
    await expect(handler({ hello: "world" })).rejects.toThrow(/not an S3 event notification/);
  });
});
