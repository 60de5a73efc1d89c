/** A local run against an S3 lake while a Glue-shaped run (the job's own Python lock code) holds the lake lock: it waits, names the holder, writes nothing, and goes through once the lock is released. */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { FIXTURES } from "../../core/test/chart-bodies.ts";
import { runB3 } from "./run-b3.ts";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const PYTHON = `${REPO}.venv/bin/python`;
const BUCKET = "glue-held-lake";

const env = {
  AWS_ENDPOINT_URL_S3: inject("motoEndpoint"),
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_REGION: "us-east-1",
};
const s3 = new S3Client({ endpoint: env.AWS_ENDPOINT_URL_S3, forcePathStyle: true });

/** The Glue job's lock, taken by glue-scripts/lake_lock.py; released when its stdin closes. */
async function glueHolder(): Promise<ChildProcess> {
  const script = `
import sys
sys.path.insert(0, "${REPO}glue-scripts")
from lake_lock import acquire_lake_lock
lock = acquire_lake_lock("s3://${BUCKET}", "transform of 2020-07-01", wait_s=5)
print("held", flush=True)
sys.stdin.read()
lock.release()
print("released", flush=True)
`;
  const child = spawn(PYTHON, ["-c", script], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, "data")) as [Buffer];
  expect(line.toString()).toContain("held");
  return child;
}

const extract = () =>
  runB3(
    [
      "extract",
      "--date",
      "2020-07-01",
      "--tickers",
      "PETR4.SA",
      "--replay",
      FIXTURES,
      "--lake",
      `s3://${BUCKET}`,
      "--lock-wait",
      "0.5",
    ],
    { env, now: new Date("2020-07-01T12:00:00Z") },
  );

const rawKeys = async () =>
  (
    (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "raw/" }))).Contents ?? []
  ).map((o) => o.Key);

beforeAll(async () => {
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(() => {
  vi.unstubAllEnvs();
});

describe("b3 extract on an S3 lake the Glue job has locked", () => {
  it("fails after its wait naming the Glue run, writes nothing, then succeeds once released", async () => {
    const holder = await glueHolder();
    try {
      const blocked = await extract();
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toMatch(
        /lake locked by transform of 2020-07-01 on host \S+ \(pid \d+\) since \d{4}-\d\d-\d\dT/,
      );
      expect(await rawKeys()).toEqual([]);
    } finally {
      holder.stdin?.end();
      await once(holder, "close");
    }
    const free = await extract();
    expect(free.code, free.stderr).toBe(0);
    expect(await rawKeys()).toEqual(["raw/ingestion_date=2020-07-01/stocks_data.parquet"]);
  }, 60_000);
});
