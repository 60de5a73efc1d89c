/**
 * The prod stack, synthesized once under Pulumi mocks, held to its contracts: names carry the
 * stage, outputs name the resources, each function is linked to what its handler reads, the raw-file
 * notification fires for raw Parquet only, failures reach the alerts topic, the Glue job runs what
 * it uploads, the catalog is core's table declarations, and sst-env.d.ts types the links.
 * Least privilege is in iam.test.ts, the saved Athena queries in athena.test.ts.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { glueTableDefinition, LAKE_TABLES, rawKey, stageNames } from "./core";
import { repoRoot } from "./setup";
import { renderPackageSstEnv, renderRootSstEnv } from "./sst-env";
import { physicalNames, roleStatements, unstagedNames } from "./stack";
import { ACCOUNT, REGION, type Synthesis, synthesize } from "./synth";

let app: Synthesis;

beforeAll(async () => {
  app = await synthesize({
    stage: "prod",
    env: {
      B3_GITHUB_REPOSITORY: "acme/b3-pipeline",
      B3_TICKERS: "PETR4.SA,VALE3.SA",
      B3_ALERT_EMAIL: "oncall@example.com",
    },
  });
});

const T = {
  bucket: "aws:s3/bucket:Bucket",
  fn: "aws:lambda/function:Function",
  invokeConfig: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
  queue: "aws:sqs/queue:Queue",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
} as const;

const name = (type: string, logicalName: string): string => app.one(type, logicalName).inputs.name;
const bucket = (logicalName: string): string => app.one(T.bucket, logicalName).inputs.bucket;
const regional = (service: string, resource: string) =>
  `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
const functionArn = (logicalName: string) =>
  regional("lambda", `function:${name(T.fn, logicalName)}`);
const onFailureQueue = (functionID: string): string =>
  app.one(T.invokeConfig, `${functionID}EventInvokeConfig`).inputs.destinationConfig.onFailure
    .destination;

it("synthesizes with no error, no unexpected CLI call or invoke, and every uploaded file present", () => {
  expect(app.errors).toEqual([]);
  expect(app.assets.filter((a) => !a.exists)).toEqual([]);
  expect(app.builds.map((b) => b.functionID).sort()).toEqual(["Extract", "TriggerGlue"]);
});

describe("names", () => {
  it("carry the stage, every one of them", () => {
    expect(physicalNames(app).length).toBeGreaterThan(25);
    expect(unstagedNames(app)).toEqual([]);
  });

  it("of the database and workgroup are the ones clients compute with core's stageNames()", () => {
    expect(stageNames("prod")).toEqual({
      database: name("aws:glue/catalogDatabase:CatalogDatabase", "CatalogDatabase"),
      workgroup: name("aws:athena/workgroup:Workgroup", "Workgroup"),
    });
  });
});

it("outputs name the resources people and `b3 query --stage` need", () => {
  expect(app.outputs).toEqual({
    _protect: true,
    dataLakeBucket: bucket("DataLakeBucketBucket"),
    glueAssetsBucket: bucket("GlueAssetsBucket"),
    athenaResultsBucket: bucket("AthenaResultsBucket"),
    extractFunction: name(T.fn, "ExtractFunction"),
    triggerFunction: name(T.fn, "TriggerGlueFunction"),
    transformJob: name("aws:glue/job:Job", "TransformJob"),
    glueDatabase: name("aws:glue/catalogDatabase:CatalogDatabase", "CatalogDatabase"),
    athenaWorkgroup: name("aws:athena/workgroup:Workgroup", "Workgroup"),
    alertsTopic: regional("sns", name("aws:sns/topic:Topic", "Alerts")),
    alarms: expect.stringMatching(/^https:\/\/us-east-1\.console\.aws\.amazon\.com\/cloudwatch\//),
    githubDeployRoleArn: `arn:aws:iam::${ACCOUNT}:role/${name("aws:iam/role:Role", "GithubDeployRole")}`,
  });
  // The console link lists exactly the stage's alarms.
  const search = String(app.outputs.alarms).split("search=")[1] ?? "";
  expect(app.ofType(T.alarm).every((a) => a.inputs.name.startsWith(search))).toBe(true);
});

describe("links", () => {
  it("give each function exactly the resources its handler reads through `Resource`", () => {
    for (const build of app.builds) {
      const source = path.join(
        repoRoot,
        `${build.handler.slice(0, build.handler.lastIndexOf("."))}.ts`,
      );
      const reads = new Set(
        [...readFileSync(source, "utf8").matchAll(/\bResource\.(\w+)/g)].map((m) => m[1]),
      );
      expect(Object.keys(build.links).sort(), build.functionID).toEqual([...reads].sort());
    }
  });

  it("bring permissions on the linked resources only; each function also logs to its own group and feeds its own DLQ", () => {
    for (const { functionID, links } of app.builds) {
      const fnName = name(T.fn, `${functionID}Function`);
      const own = [
        regional("logs", `log-group:/aws/lambda/${fnName}:*`),
        onFailureQueue(functionID),
      ];
      // A link without an `arn` property is a bucket, named by `name`.
      const linked = Object.values(links).map((l) => String(l.arn ?? `arn:aws:s3:::${l.name}`));
      const statements = roleStatements(app, `${functionID}Role`);
      const resources = statements.flatMap((s) => [s.Resource ?? []].flat());
      expect(resources, functionID).toEqual(expect.arrayContaining(own));
      const stray = resources.filter(
        (r) => !own.includes(r) && !linked.some((arn) => r === arn || r.startsWith(`${arn}/`)),
      );
      expect(stray, functionID).toEqual([]);
      expect(resources.length, `${functionID}: its links bring permissions`).toBeGreaterThan(
        own.length,
      );
    }
  });
});

describe("the raw-file notification", () => {
  it("starts the trigger for every raw file the extract writes, and for nothing else in the lake", () => {
    const notifications = app.ofType("aws:s3/bucketNotification:BucketNotification");
    expect(notifications.map((n) => n.inputs.bucket)).toEqual([bucket("DataLakeBucketBucket")]);
    const { lambdaFunctions, queues, topics } = notifications[0]?.inputs ?? {};
    expect([queues, topics]).toEqual([[], []]);
    expect(lambdaFunctions).toEqual([
      expect.objectContaining({
        events: ["s3:ObjectCreated:*"],
        filterPrefix: "raw/",
        filterSuffix: ".parquet",
        lambdaFunctionArn: functionArn("TriggerGlueFunction"),
      }),
    ]);
    const { filterPrefix, filterSuffix } = lambdaFunctions[0];
    const fires = (key: string) => key.startsWith(filterPrefix) && key.endsWith(filterSuffix);
    expect(fires(rawKey("2018-01-11"))).toBe(true);
    for (const key of [
      "refined/data_pregao=2018-01-09/part-0.parquet",
      "aggregated/part-0.parquet",
      "_transform_staging/run/refined/data_pregao=2018-01-09/part-0.parquet",
      "_lake.lock",
    ])
      expect(fires(key), key).toBe(false);
  });

  it("is the only way in: S3 may invoke the trigger, from the data lake bucket only", () => {
    expect(app.ofType("aws:lambda/permission:Permission").map((p) => p.inputs)).toEqual([
      {
        action: "lambda:InvokeFunction",
        function: functionArn("TriggerGlueFunction"),
        principal: "s3.amazonaws.com",
        sourceArn: `arn:aws:s3:::${bucket("DataLakeBucketBucket")}`,
      },
    ]);
  });
});

describe("failures", () => {
  const queueArn = (logicalName: string) => regional("sqs", name(T.queue, logicalName));

  it("end in an alarmed dead-letter queue: each function's retries, and the schedule's deliveries", () => {
    const alarmedQueues = app.ofType(T.alarm).flatMap((a) => a.inputs.dimensions.QueueName ?? []);
    for (const { functionID } of app.builds) {
      expect(
        app.one(T.invokeConfig, `${functionID}EventInvokeConfig`).inputs.maximumRetryAttempts,
      ).toBe(2);
      const queue = app
        .ofType(T.queue)
        .find((q) => queueArn(q.name) === onFailureQueue(functionID));
      expect(alarmedQueues, functionID).toContain(queue?.inputs.name);
    }
    const schedule = app.one("aws:scheduler/schedule:Schedule", "DailyExtractSchedule").inputs
      .target;
    expect(schedule.arn).toBe(functionArn("ExtractFunction"));
    expect(schedule.deadLetterConfig.arn).toBe(onFailureQueue("Extract"));
  });

  it("of a function or of the Glue job reach the alerts topic", () => {
    const topic = regional("sns", name("aws:sns/topic:Topic", "Alerts"));
    const alarms = app.ofType(T.alarm).map((a) => a.inputs);
    expect(alarms.flatMap((a) => a.dimensions.FunctionName ?? []).sort()).toEqual(
      app
        .ofType(T.fn)
        .map((f) => f.inputs.name)
        .sort(),
    );
    for (const alarm of alarms) expect(alarm.alarmActions, alarm.name).toEqual([topic]);
    const rule = app.one("aws:cloudwatch/eventRule:EventRule", "TransformJobFailedRule").inputs;
    expect(JSON.parse(rule.eventPattern).detail.jobName).toEqual([
      name("aws:glue/job:Job", "TransformJob"),
    ]);
    expect(
      app.one("aws:cloudwatch/eventTarget:EventTarget", "TransformJobFailedTarget").inputs,
    ).toMatchObject({
      rule: rule.name,
      arn: topic,
    });
    expect(app.ofType("aws:sns/topicSubscription:TopicSubscription").map((s) => s.inputs)).toEqual([
      { topic, protocol: "email", endpoint: "oncall@example.com" },
    ]);
  });
});

describe("storage", () => {
  it("encrypts every bucket, and on prod keeps them all (the lake cannot be emptied by a replacement)", () => {
    const buckets = app.ofType(T.bucket);
    const encrypted = app
      .ofType(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      )
      .filter(
        (e) => e.inputs.rules[0]?.applyServerSideEncryptionByDefault.sseAlgorithm === "AES256",
      )
      .map((e) => e.inputs.bucket);
    expect(encrypted.sort()).toEqual(buckets.map((b) => b.inputs.bucket).sort());
    for (const b of buckets) expect(b.retainOnDelete, b.name).toBe(true);
    expect(app.one(T.bucket, "DataLakeBucketBucket").inputs.forceDestroy).toBe(false);
  });

  it("keeps overwritten lake objects for a while, and Athena results only until they expire", () => {
    const rules = (b: string) =>
      app.ofType(T.lifecycle).find((l) => l.inputs.bucket === bucket(b))?.inputs.rules;
    expect(rules("DataLakeBucketBucket")).toContainEqual(
      expect.objectContaining({ noncurrentVersionExpiration: { noncurrentDays: 30 } }),
    );
    const workgroup = app.one("aws:athena/workgroup:Workgroup", "Workgroup").inputs.configuration;
    expect(workgroup.enforceWorkgroupConfiguration).toBe(true);
    const [expiry] = rules("AthenaResultsBucket");
    expect(workgroup.resultConfiguration.outputLocation).toBe(
      `s3://${bucket("AthenaResultsBucket")}/${expiry.filter.prefix}`,
    );
    expect(expiry.expiration.days).toBe(30);
  });
});

describe("the Glue job", () => {
  const job = () => app.one("aws:glue/job:Job", "TransformJob").inputs;

  it("runs what it uploads: the script, the lock module, every SQL file and the table declarations", async () => {
    const assets = bucket("GlueAssetsBucket");
    const uploads = new Map(
      app
        .ofType("aws:s3/bucketObjectv2:BucketObjectv2")
        .filter((o) => o.inputs.bucket === assets)
        .map((o) => [`s3://${assets}/${o.inputs.key}`, o.inputs]),
    );
    const args = job().defaultArguments;
    const used = [
      job().command.scriptLocation,
      args["--extra-py-files"],
      ...args["--extra-files"].split(","),
    ];
    for (const uri of used) {
      const upload = uploads.get(uri);
      expect(upload, uri).toBeDefined();
      const source: string = await upload?.source.path;
      const from = path.relative(repoRoot, source);
      expect(
        from.startsWith("glue-scripts/") || from === "packages/core/src/lake/tables.json",
        uri,
      ).toBe(true);
      expect(path.basename(source), uri).toBe(path.basename(uri));
    }
    const sqlFiles = readdirSync(path.join(repoRoot, "glue-scripts/sql")).filter((f) =>
      f.endsWith(".sql"),
    );
    expect(used).toEqual(
      expect.arrayContaining([
        ...sqlFiles.map((f) => `s3://${assets}/sql/${f}`),
        `s3://${assets}/sql/tables.json`,
      ]),
    );
    expect(used).toHaveLength(uploads.size);
  });

  it("works on this stage's lake, as its own role, logging to its own group", () => {
    expect(job().defaultArguments).toMatchObject({
      "--lake_root": `s3://${bucket("DataLakeBucketBucket")}/`,
      "--continuous-log-logGroup": name("aws:cloudwatch/logGroup:LogGroup", "TransformJobLogGroup"),
    });
    expect(job().roleArn).toBe(
      `arn:aws:iam::${ACCOUNT}:role/${name("aws:iam/role:Role", "TransformJobRole")}`,
    );
  });

  it("is the configuration docs/DEPLOY.md prices: G.1X × 2 on Flex, bookmarks off, no auto scaling", () => {
    expect(job()).toMatchObject({
      glueVersion: "6.0",
      workerType: "G.1X",
      numberOfWorkers: 2,
      executionClass: "FLEX",
      timeout: 60,
      maxRetries: 1,
    });
    const args = job().defaultArguments;
    expect(args["--job-bookmark-option"]).toBe("job-bookmark-disable");
    expect(args).not.toHaveProperty("--enable-auto-scaling");
    expect(args).not.toHaveProperty("--scaling-profile");
  });
});

it("the catalog holds core's table declarations, in this stage's database and lake", () => {
  const database = name("aws:glue/catalogDatabase:CatalogDatabase", "CatalogDatabase");
  const tables = app.ofType("aws:glue/catalogTable:CatalogTable").map(({ inputs: t }) => {
    expect(t.databaseName, t.name).toBe(database);
    expect(t.tableType, t.name).toBe("EXTERNAL_TABLE");
    const { columns, location, inputFormat, outputFormat, serDeInfo } = t.storageDescriptor;
    return {
      name: t.name,
      description: t.description,
      columns,
      partitionKeys: t.partitionKeys,
      location,
      inputFormat,
      outputFormat,
      serializationLibrary: serDeInfo.serializationLibrary,
      parameters: t.parameters,
    };
  });
  const lake = `s3://${bucket("DataLakeBucketBucket")}`;
  expect(tables).toEqual(LAKE_TABLES.map((table) => glueTableDefinition(table, lake)));
});

describe("sst-env.d.ts", () => {
  it("is checked in and declares the links this app defines", () => {
    const files = {
      "sst-env.d.ts": renderRootSstEnv(app),
      "packages/functions/sst-env.d.ts": renderPackageSstEnv("../../"),
    };
    for (const [file, expected] of Object.entries(files)) {
      const full = path.join(repoRoot, file);
      if (process.env.UPDATE_SST_ENV === "1") writeFileSync(full, expected);
      const actual = existsSync(full) ? readFileSync(full, "utf8") : "(missing)";
      // Layout-insensitive, so the copy `sst deploy` / `sst dev` rewrites does not fail this test.
      expect(declarations(actual), `${file} (UPDATE_SST_ENV=1 rewrites it)`).toBe(
        declarations(expected),
      );
    }
  });

  it("types every function's links with the properties the function receives", () => {
    for (const { functionID, links } of app.builds) {
      for (const [target, { type: _, ...properties }] of Object.entries(links)) {
        const declared = app.linkRefs.find((ref) => ref.target === target);
        expect(declared?.properties, `${functionID} → ${target}`).toEqual(properties);
      }
    }
  });
});

/** The declarations of an sst-env.d.ts, without comments, boilerplate lines or whitespace. */
function declarations(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .split("\n")
    .filter((line) => !/^\s*(\/\/\/|import "sst"|export \{\})/.test(line))
    .join("")
    .replace(/\s+/g, "");
}
