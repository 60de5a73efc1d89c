import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { build, type Metafile } from "esbuild";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FIXTURES } from "../../core/test/chart-bodies.ts";
import { type FakeYahoo, startFakeYahoo } from "../../core/test/fake-yahoo.ts";
import { LAMBDA_EXTERNAL, REPO_ROOT, sstNodeBuildOptions } from "../build/lambda-bundle.ts";
import { expectPetrValeRun } from "./expect-raw-run.ts";

const run = promisify(execFile);
const RUNNER = fileURLToPath(new URL("./run-bundled-handler.mjs", import.meta.url));
const bucket = "bundle-lake";
// Inside the repository, so the bundle's require("@aws-sdk/client-s3") resolves from node_modules
// as Lambda's resolves from the runtime's own copy.
const outDir = mkdtempSync(join(REPO_ROOT, "node_modules", ".cache-extract-bundle-"));
const outfile = join(outDir, "extract.mjs");
let meta: Metafile;
let yahoo: FakeYahoo;
let s3: S3Client;

beforeAll(async () => {
  // The extract function as infra/lambda.ts has SST build it: ESM, minified, AWS SDK external.
  ({ metafile: meta } = await build(
    sstNodeBuildOptions({
      entry: join(REPO_ROOT, "packages/functions/src/extract.ts"),
      outfile,
      external: LAMBDA_EXTERNAL,
    }),
  ));
  s3 = new S3Client({
    endpoint: inject("motoEndpoint"),
    forcePathStyle: true,
    region: "us-east-1",
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  yahoo = await startFakeYahoo({ replayDir: FIXTURES });
});
afterAll(async () => {
  await yahoo?.close();
  rmSync(outDir, { recursive: true, force: true });
});

describe("the extract function as SST ships it", () => {
  it("leaves the AWS SDK out of the bundle and stays within the 1.0 MB budget", () => {
    const inputs = Object.keys(meta.inputs);
    expect(inputs.filter((path) => /node_modules\/@(aws-sdk|smithy)\//.test(path))).toEqual([]);
    expect(inputs.some((path) => path.includes("node_modules/yahoo-finance2/"))).toBe(true);
    const code = readFileSync(outfile);
    expect(code.toString("utf8")).toContain('"@aws-sdk/client-s3"');
    expect(code.length).toBeLessThanOrEqual(1_000_000);
  });

  it("runs in a fresh Node process: loads the SDK at run time and writes the raw object to S3", async () => {
    const { stdout } = await run(process.execPath, [RUNNER, outfile], {
      env: {
        PATH: process.env.PATH ?? "",
        TEST_NOW: "2020-07-01T09:00:00Z",
        FAKE_YAHOO_URL: yahoo.url,
        B3_TICKERS: "PETR4.SA,VALE3.SA",
        SST_RESOURCE_App: JSON.stringify({ name: "b3-pipeline", stage: "test" }),
        SST_RESOURCE_DataLake: JSON.stringify({ name: bucket }),
        AWS_ENDPOINT_URL_S3: inject("motoEndpoint"),
        AWS_ACCESS_KEY_ID: "testing",
        AWS_SECRET_ACCESS_KEY: "testing",
        AWS_REGION: "us-east-1",
        POWERTOOLS_LOG_LEVEL: "SILENT",
      },
    });
    const summary = JSON.parse(stdout.trim().split("\n").at(-1) ?? "");
    await expectPetrValeRun(summary, s3, bucket);
  });
});
