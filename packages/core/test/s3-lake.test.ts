import { randomUUID } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { resolve } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LakeError } from "../src/lake/errors.ts";
import { openLake } from "../src/lake/open-lake.ts";
import { createS3Client, s3Lake } from "../src/lake/s3-lake.ts";
import { lakeErrorOf } from "./lake-error-of.ts";
import { motoS3 as client, motoEndpoint as endpoint, freshBucket } from "./moto-s3.ts";
import { type MotoServer, startMotoServer } from "./moto-server.ts";

/** A loopback port nothing listens on: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

describe("s3Lake against moto", () => {
  it("finds the shared moto server through inject() and MOTO_ENDPOINT alike", () => {
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env.MOTO_ENDPOINT).toBe(endpoint);
  });

  it("writes bytes with one PutObject and reads the same bytes back", async () => {
    const bucket = await freshBucket();
    const lake = s3Lake({ bucket, client });
    const body = Uint8Array.from({ length: 256 }, (_, i) => i);
    const key = "raw/ingestion_date=2026-01-02/stocks_data.parquet";

    await lake.put(key, body, { contentType: "application/vnd.apache.parquet" });

    expect(await lake.get(key)).toEqual(body);
    expect(lake.root).toBe(`s3://${bucket}`);
    expect(lake.uri(key)).toBe(`s3://${bucket}/${key}`);
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(object.ContentType).toBe("application/vnd.apache.parquet");
  });

  it("replaces an object whole when the same key is written again", async () => {
    const bucket = await freshBucket();
    const lake = s3Lake({ bucket, client });
    await lake.put("aggregated/part-0.parquet", new TextEncoder().encode("first version, longer"));
    await lake.put("aggregated/part-0.parquet", new TextEncoder().encode("second"));
    expect(new TextDecoder().decode(await lake.get("aggregated/part-0.parquet"))).toBe("second");
  });

  it("keeps a lake under a prefix and hands back lake-relative keys", async () => {
    const bucket = await freshBucket();
    const lake = s3Lake({ bucket, client, prefix: "/prod/lake/" });
    await lake.put("raw/a.parquet", new Uint8Array([1]));

    expect(lake.root).toBe(`s3://${bucket}/prod/lake`);
    expect(lake.uri("raw/a.parquet")).toBe(`s3://${bucket}/prod/lake/raw/a.parquet`);
    expect(await lake.list("raw/")).toEqual(["raw/a.parquet"]);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(["prod/lake/raw/a.parquet"]);
  });

  it("lists only keys under the prefix, sorted, following continuation tokens across pages", async () => {
    const bucket = await freshBucket();
    const listPages: string[] = [];
    const countingClient = createS3Client({ endpoint });
    countingClient.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "ListObjectsV2Command") {
          const token = (args.input as { ContinuationToken?: string }).ContinuationToken;
          listPages.push(token === undefined ? "first" : "continued");
        }
        return next(args);
      },
      { step: "initialize" },
    );
    const lake = s3Lake({ bucket, client: countingClient, listPageSize: 2 });
    const rawKeys = ["2026-01-05", "2026-01-02", "2026-01-04", "2026-01-03", "2026-01-06"].map(
      (date) => `raw/ingestion_date=${date}/stocks_data.parquet`,
    );
    for (const key of [...rawKeys, "refined/data_pregao=2026-01-02/x.parquet", "rawish.txt"]) {
      await lake.put(key, new Uint8Array([0]));
    }

    expect(await lake.list("raw/")).toEqual([...rawKeys].sort());
    expect(listPages).toEqual(["first", "continued", "continued"]);
    expect(await lake.list("")).toHaveLength(7);
    expect(await lake.list("aggregated/")).toEqual([]);
  });

  it("reports a missing key as NotFound naming the object", async () => {
    const bucket = await freshBucket();
    const lake = s3Lake({ bucket, client });
    const error = await lakeErrorOf(lake.get("raw/ingestion_date=2026-01-02/stocks_data.parquet"));
    expect(error.code).toBe("NotFound");
    expect(error.key).toBe("raw/ingestion_date=2026-01-02/stocks_data.parquet");
    expect(error.message).toContain(
      `s3://${bucket}/raw/ingestion_date=2026-01-02/stocks_data.parquet`,
    );
  });

  it("reports a bucket that does not exist as InvalidLocation naming the bucket", async () => {
    const bucket = `b3-missing-${randomUUID()}`.slice(0, 40);
    const lake = s3Lake({ bucket, client });

    const writeError = await lakeErrorOf(lake.put("raw/x.parquet", new Uint8Array([1])));
    expect(writeError.code).toBe("InvalidLocation");
    expect(writeError.message).toContain(`bucket ${bucket} does not exist`);
    expect(writeError.remedy).toContain("check the bucket name");
    expect(writeError.settings).toEqual(["lake"]);
    expect((writeError.cause as Error).name).toBe("NoSuchBucket");

    const listError = await lakeErrorOf(lake.list("raw/"));
    expect(listError.code).toBe("InvalidLocation");
  });

  it("rejects keys that are not lake-relative before calling S3", async () => {
    const bucket = await freshBucket();
    const lake = s3Lake({ bucket, client, prefix: "lake" });
    for (const key of ["", "/raw/x.parquet", "../outside.parquet", "raw/../../x"]) {
      expect(() => lake.uri(key)).toThrow(LakeError);
      expect((await lakeErrorOf(lake.put(key, new Uint8Array()))).code).toBe("InvalidLocation");
    }
  });

  it("reports a closed endpoint as Unreachable within seconds, after bounded retries", async () => {
    const port = await closedPort();
    const lake = s3Lake({
      bucket: "b3-data-lake",
      client: createS3Client({ endpoint: `http://127.0.0.1:${port}` }),
    });
    const started = performance.now();

    const error = await lakeErrorOf(lake.put("raw/x.parquet", new Uint8Array([1])));

    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error.code).toBe("Unreachable");
    expect(error.message).toContain("s3://b3-data-lake/raw/x.parquet");
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toContain("ECONNREFUSED, 3 attempts");
    expect(error.remedy).toContain("AWS_ENDPOINT_URL_S3");
  });

  it("reports a server that accepts connections but never answers as Unreachable (TimeoutError)", async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((done) => silent.listen(0, "127.0.0.1", done));
    const { port } = silent.address() as { port: number };
    try {
      // Same mapping as createS3Client's timeouts, shortened so the test does not wait for them.
      const impatient = new S3Client({
        endpoint: `http://127.0.0.1:${port}`,
        forcePathStyle: true,
        maxAttempts: 1,
        requestHandler: { connectionTimeout: 500, socketTimeout: 300 },
      });
      const lake = s3Lake({ bucket: "b3-data-lake", client: impatient });
      const error = await lakeErrorOf(lake.get("raw/x.parquet"));
      expect(error.code).toBe("Unreachable");
      expect(error.message).toContain("TimeoutError");
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((done) => silent.close(done));
    }
  });
});

describe("createS3Client", () => {
  const saved = { s3: process.env.AWS_ENDPOINT_URL_S3, any: process.env.AWS_ENDPOINT_URL };
  afterAll(() => {
    for (const [name, value] of [
      ["AWS_ENDPOINT_URL_S3", saved.s3],
      ["AWS_ENDPOINT_URL", saved.any],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it("takes the endpoint from AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, with path-style addressing", async () => {
    const bucket = await freshBucket();
    const closed = `http://127.0.0.1:${await closedPort()}`;

    process.env.AWS_ENDPOINT_URL_S3 = endpoint;
    process.env.AWS_ENDPOINT_URL = closed;
    const fromS3Variable = s3Lake({ bucket, client: createS3Client() });
    await fromS3Variable.put("raw/a.parquet", new Uint8Array([7]));

    delete process.env.AWS_ENDPOINT_URL_S3;
    process.env.AWS_ENDPOINT_URL = endpoint;
    const fromGenericVariable = s3Lake({ bucket, client: createS3Client() });
    expect(await fromGenericVariable.get("raw/a.parquet")).toEqual(new Uint8Array([7]));

    // An explicit endpoint wins over both variables.
    const explicit = s3Lake({ bucket, client: createS3Client({ endpoint: closed }) });
    expect((await lakeErrorOf(explicit.get("raw/a.parquet"))).code).toBe("Unreachable");
  });
});

describe("s3Lake with IAM enforced (a private moto server)", () => {
  let moto: MotoServer;
  let bucket: string;
  let readOnlyClient: S3Client;

  beforeAll(async () => {
    // IAM enforcement is process-wide in moto, so it gets its own server instead of the shared one.
    moto = await startMotoServer();
    const admin = createS3Client({ endpoint: moto.endpoint });
    bucket = await freshBucket(admin);
    await s3Lake({ bucket, client: admin }).put("raw/seed.parquet", new Uint8Array([42]));

    const user = "b3-reader";
    await iam(moto.endpoint, { Action: "CreateUser", UserName: user });
    await iam(moto.endpoint, {
      Action: "PutUserPolicy",
      UserName: user,
      PolicyName: "read-only-lake",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: ["s3:GetObject"], Resource: `arn:aws:s3:::${bucket}/*` },
        ],
      }),
    });
    const keyXml = await iam(moto.endpoint, { Action: "CreateAccessKey", UserName: user });
    const accessKeyId = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(keyXml)?.[1];
    const secretAccessKey = /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(keyXml)?.[1];
    if (accessKeyId === undefined || secretAccessKey === undefined)
      throw new Error(`no access key in ${keyXml}`);
    readOnlyClient = new S3Client({
      endpoint: moto.endpoint,
      forcePathStyle: true,
      region: "us-east-1",
      maxAttempts: 1,
      credentials: { accessKeyId, secretAccessKey },
    });

    // From now on every request must be signed by a known key and allowed by that key's policies.
    const reset = await fetch(`${moto.endpoint}/moto-api/reset-auth`, {
      method: "POST",
      body: "0",
    });
    expect(reset.ok).toBe(true);
  });

  afterAll(async () => {
    await moto?.stop();
  });

  it("reads with s3:GetObject, and reports a write without s3:PutObject as AccessDenied saying what to grant", async () => {
    const lake = s3Lake({ bucket, client: readOnlyClient });
    // The allowed read proves the signature is accepted, so the denial below is the policy's doing.
    expect(await lake.get("raw/seed.parquet")).toEqual(new Uint8Array([42]));

    const error = await lakeErrorOf(
      lake.put("raw/ingestion_date=2026-01-02/stocks_data.parquet", new Uint8Array([1])),
    );

    expect(error.code).toBe("AccessDenied");
    expect((error.cause as Error).name).toBe("AccessDenied");
    expect(error.key).toBe("raw/ingestion_date=2026-01-02/stocks_data.parquet");
    expect(error.message).toContain(
      `s3://${bucket}/raw/ingestion_date=2026-01-02/stocks_data.parquet`,
    );
    expect(error.remedy).toBe(`check that the role may s3:PutObject on s3://${bucket}/raw/*`);
  });

  it("reports a listing without s3:ListBucket as AccessDenied naming the bucket", async () => {
    const error = await lakeErrorOf(s3Lake({ bucket, client: readOnlyClient }).list("raw/"));
    expect(error.code).toBe("AccessDenied");
    expect(error.remedy).toContain(`s3:ListBucket on arn:aws:s3:::${bucket}`);
  });

  it("reports unknown credentials as AccessDenied pointing at the credentials", async () => {
    const stranger = new S3Client({
      endpoint: moto.endpoint,
      forcePathStyle: true,
      region: "us-east-1",
      maxAttempts: 1,
      credentials: { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "nope" },
    });
    const error = await lakeErrorOf(s3Lake({ bucket, client: stranger }).get("raw/seed.parquet"));
    expect(error.code).toBe("AccessDenied");
    expect(error.message).toContain("InvalidAccessKeyId");
    expect(error.message).toContain("credential");
    expect(error.remedy).toContain("AWS_PROFILE");
  });
});

/**
 * Calls moto's IAM query API without an IAM SDK package: before enforcement moto ignores the signature
 * and only reads the service and region from the Authorization header's credential scope.
 */
async function iam(motoEndpoint: string, params: Record<string, string>): Promise<string> {
  const response = await fetch(motoEndpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization:
        "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
    },
    body: new URLSearchParams({ ...params, Version: "2010-05-08" }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`IAM ${params.Action} failed: ${response.status} ${text}`);
  return text;
}

describe("openLake", () => {
  it("opens s3://bucket and s3://bucket/prefix as S3 lakes", async () => {
    expect(openLake("s3://b3-data-lake", { s3Client: client }).root).toBe("s3://b3-data-lake");
    const prefixed = openLake("s3://b3-data-lake/prod/lake/", { s3Client: client });
    expect(prefixed.root).toBe("s3://b3-data-lake/prod/lake");
    expect(prefixed.uri("raw/x.parquet")).toBe("s3://b3-data-lake/prod/lake/raw/x.parquet");

    const bucket = await freshBucket();
    const lake = openLake(`s3://${bucket}/lake`, { s3Client: client });
    await lake.put("raw/x.parquet", new Uint8Array([3]));
    expect(await lake.list("")).toEqual(["raw/x.parquet"]);
  });

  it("opens folder paths and file:// URLs as local lakes", () => {
    expect(openLake(".lake").root).toBe(resolve(".lake"));
    expect(openLake("/tmp/b3-lake/").root).toBe("/tmp/b3-lake");
    expect(openLake("file:///tmp/b3-lake").root).toBe("/tmp/b3-lake");
  });

  it.each([
    ["s3://", "the bucket name is missing"],
    ["s3:///raw", "the bucket name is missing"],
    ["s3://ab", "must be 3 to 63 characters long"],
    [`s3://${"a".repeat(64)}`, "must be 3 to 63 characters long"],
    ["s3://My_Bucket", "may hold only lower-case letters"],
    ["s3://-bucket", "must start and end with a letter or digit"],
    ["s3://b3..lake", "two adjacent dots"],
    ["s3://192.168.10.1", "looks like an IP address"],
    ["s3://xn--bucket", "reserves"],
    ["s3://b3-data-lake/a//b", "empty"],
    ["s3://b3-data-lake/../x", '".."'],
    ["gs://b3-data-lake", "gs:// lakes are not supported"],
    ["", "empty"],
  ])("rejects %j as InvalidLocation (%s)", (location, expected) => {
    let error: unknown;
    try {
      openLake(location, { s3Client: client });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LakeError);
    expect((error as LakeError).code).toBe("InvalidLocation");
    expect((error as LakeError).message).toContain(expected);
    expect((error as LakeError).remedy).toContain("s3://bucket[/prefix]");
    expect((error as LakeError).settings).toEqual(["lake"]);
  });
});
