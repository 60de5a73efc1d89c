import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { FIXTURES } from "../../core/test/chart-bodies.ts";
import { type FakeYahoo, startFakeYahoo } from "../../core/test/fake-yahoo.ts";
import { expectPetrValeRun, RAW_KEY } from "./expect-raw-run.ts";

const bucket = "handler-lake";
let yahoo: FakeYahoo;
let s3: S3Client;
let handler: () => Promise<{
  rowsWritten: number;
  rowsKept: number;
  tickersOk: string[];
  location: string | null;
}>;

beforeAll(async () => {
  const endpoint = inject("motoEndpoint");
  // What SST puts in a deployed function's environment for its links.
  vi.stubEnv("SST_RESOURCE_App", JSON.stringify({ name: "b3-pipeline", stage: "test" }));
  vi.stubEnv("SST_RESOURCE_DataLake", JSON.stringify({ name: bucket }));
  vi.stubEnv("AWS_ENDPOINT_URL_S3", endpoint);
  vi.stubEnv("AWS_ACCESS_KEY_ID", "testing");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "testing");
  vi.stubEnv("AWS_REGION", "us-east-1");
  vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
  s3 = new S3Client({ endpoint, forcePathStyle: true, region: "us-east-1" });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  yahoo = await startFakeYahoo({ replayDir: FIXTURES });
  // The handler reaches Yahoo through the global fetch; send it to the local fake instead.
  vi.stubGlobal("fetch", yahoo.fetch);
  // Run date 2020-07-01 in São Paulo: the recorded bodies cover the six months before it.
  vi.useFakeTimers({ toFake: ["Date"], now: new Date("2020-07-01T09:00:00Z") });
  ({ handler } = await import("../src/extract.ts"));
});
afterAll(async () => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
  await yahoo.close();
});

describe("extract Lambda handler", () => {
  it("writes today's raw object for B3_TICKERS and returns the summary", async () => {
    vi.stubEnv("B3_TICKERS", "PETR4.SA,VALE3.SA");
    const summary = await handler();
    await expectPetrValeRun(summary, s3, bucket);
  });

  it("a later invocation for the same date merges into the raw object, keeping every earlier row", async () => {
    vi.stubEnv("B3_TICKERS", "PETR4.SA");
    vi.setSystemTime(new Date("2020-07-01T15:00:00Z"));
    const summary = await handler();
    expect(summary).toMatchObject({ rowsWritten: 123, rowsKept: 246, tickersOk: ["PETR4.SA"] });
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: RAW_KEY }));
    const bytes = await object.Body?.transformToByteArray();
    const rows = await parquetReadObjects({ file: bytes?.buffer as ArrayBuffer });
    expect(rows).toHaveLength(369);
    expect(rows.filter((r) => r.ticker === "VALE3.SA")).toHaveLength(123);
  });

  it("fails the invocation when no ticker succeeded, and writes nothing", async () => {
    vi.stubEnv("B3_TICKERS", "NONE1.SA,NONE2.SA");
    vi.setSystemTime(new Date("2020-07-02T09:00:00Z"));
    await expect(handler()).rejects.toThrow(
      /extract wrote nothing: NONE1\.SA: Yahoo has no data .*; NONE2\.SA: Yahoo has no data/,
    );
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: "raw/ingestion_date=2020-07-02/" }),
    );
    expect(listed.KeyCount).toBe(0);
  });
});
