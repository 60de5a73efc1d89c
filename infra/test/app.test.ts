/**
 * The prod stack, synthesized once under Pulumi mocks: what would be created, with which names and
 * settings (DESIGN §3, §4, §7; issue 4 items 1–6, 8).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "./setup";
import { renderPackageSstEnv, renderRootSstEnv } from "./sst-env";
import { ACCOUNT, REGION, type Synthesis, type SynthResource, synthesize } from "./synth";

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
  object: "aws:s3/bucketObjectv2:BucketObjectv2",
  fn: "aws:lambda/function:Function",
  invokeConfig: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
  schedule: "aws:scheduler/schedule:Schedule",
  queue: "aws:sqs/queue:Queue",
  notification: "aws:s3/bucketNotification:BucketNotification",
  permission: "aws:lambda/permission:Permission",
  job: "aws:glue/job:Job",
  database: "aws:glue/catalogDatabase:CatalogDatabase",
  table: "aws:glue/catalogTable:CatalogTable",
  workgroup: "aws:athena/workgroup:Workgroup",
  namedQuery: "aws:athena/namedQuery:NamedQuery",
  topic: "aws:sns/topic:Topic",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  rule: "aws:cloudwatch/eventRule:EventRule",
  target: "aws:cloudwatch/eventTarget:EventTarget",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  encryption:
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
} as const;

const bucketName = (component: string) =>
  app.one(T.bucket, `${component}Bucket`).inputs.bucket as string;

describe("synthesis", () => {
  it("completes with no error, no unexpected CLI call and no unmocked invoke", () => {
    expect(app.errors).toEqual([]);
    expect(app.resources.length).toBeGreaterThan(60);
  });

  it("runs sst.config.ts's app() for prod: retained data, protected stage, pinned region", () => {
    expect(app.app).toEqual({
      name: "b3-pipeline",
      stage: "prod",
      removal: "retain",
      protect: true,
      providers: { aws: { region: "us-east-1" } },
    });
    for (const bucket of app.ofType(T.bucket))
      expect(bucket.retainOnDelete, bucket.name).toBe(true);
    expect(app.outputs._protect).toBe(true);
  });

  it("returns the names people need as outputs", () => {
    expect(app.outputs).toMatchObject({
      dataLakeBucket: bucketName("DataLakeBucket"),
      extractFunction: "b3_extract_function_prod",
      triggerFunction: "s3_trigger_glue_transform_prod",
      transformJob: "transform_job_prod",
      glueDatabase: "b3_prod",
      athenaWorkgroup: "etl_workgroup_prod",
      githubDeployRoleArn: `arn:aws:iam::${ACCOUNT}:role/github-deploy-b3-pipeline-prod`,
    });
  });
});

describe("storage", () => {
  it("creates the three buckets with SST-generated names under the app-stage prefix", () => {
    expect(
      app
        .ofType(T.bucket)
        .map((b) => b.name)
        .sort(),
    ).toEqual(["AthenaResultsBucket", "DataLakeBucketBucket", "GlueAssetsBucket"]);
    for (const bucket of app.ofType(T.bucket)) {
      expect(bucket.inputs.bucket).toMatch(/^b3-pipeline-prod-[a-z]+-[a-z]{8}$/);
    }
  });

  it("keeps prod's data lake from being emptied by a replacement", () => {
    expect(app.one(T.bucket, "DataLakeBucketBucket").inputs.forceDestroy).toBe(false);
  });

  it("encrypts every bucket at rest with SSE-S3", () => {
    const encrypted = app
      .ofType(T.encryption)
      .map((e) => e.inputs.bucket)
      .sort();
    expect(encrypted).toEqual(
      app
        .ofType(T.bucket)
        .map((b) => b.inputs.bucket)
        .sort(),
    );
    for (const e of app.ofType(T.encryption)) {
      expect(e.inputs.rules).toEqual([
        { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true },
      ]);
    }
  });

  it("versions the data lake only, and expires its old versions", () => {
    expect(
      app
        .ofType(T.versioning)
        .map((v) => [v.inputs.bucket, v.inputs.versioningConfiguration.status]),
    ).toEqual([[bucketName("DataLakeBucket"), "Enabled"]]);
    const rules = app.one(T.lifecycle, "DataLakeBucketLifecycle").inputs.rules;
    expect(rules).toContainEqual(
      expect.objectContaining({
        status: "Enabled",
        noncurrentVersionExpiration: { noncurrentDays: 30 },
      }),
    );
  });

  it("expires Athena query results after 30 days", () => {
    const lifecycle = app.one(T.lifecycle, "AthenaResultsLifecycle").inputs;
    expect(lifecycle.bucket).toBe(bucketName("AthenaResults"));
    expect(lifecycle.rules).toEqual([
      expect.objectContaining({
        status: "Enabled",
        filter: { prefix: "query_results/" },
        expiration: { days: 30 },
      }),
    ]);
  });

  it("configures no CORS on any bucket (nothing reads them from a browser)", () => {
    expect(app.resources.filter((r) => r.type.startsWith("aws:s3/bucketCors"))).toEqual([]);
  });
});

describe("extract", () => {
  const fn = () => app.one(T.fn, "ExtractFunction").inputs;

  it("is b3_extract_function_prod: Node 22 on arm64, 512 MB, 120 s, the extract handler", () => {
    expect(fn()).toMatchObject({
      name: "b3_extract_function_prod",
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      memorySize: 512,
      timeout: 120,
      handler: "packages/functions/src/extract.handler",
      loggingConfig: { logGroup: "/aws/lambda/b3_extract_function_prod" },
    });
  });

  it("passes B3_TICKERS from the deploy environment", () => {
    expect(fn().environment.variables.B3_TICKERS).toBe("PETR4.SA,VALE3.SA");
  });

  it("is built from the extract handler and linked to DataLake only (name, no bucket-wide access)", () => {
    const build = app.builds.find((b) => b.functionID === "Extract");
    expect(build).toMatchObject({
      handler: "packages/functions/src/extract.handler",
      runtime: "nodejs22.x",
    });
    expect(build?.links).toEqual({
      DataLake: { name: bucketName("DataLakeBucket"), type: "sst.sst.Linkable" },
    });
  });

  it("is bundled as npm run bench measures it: minified ESM, AWS SDK left to the runtime", () => {
    for (const id of ["Extract", "TriggerGlue"]) {
      const build = app.builds.find((b) => b.functionID === id);
      expect(build?.properties, id).toMatchObject({
        format: "esm",
        minify: true,
        esbuild: { external: ["@aws-sdk/*"] },
      });
    }
  });

  it("runs daily at 09:00 UTC from the schedule daily_b3_etl_trigger_prod, with retries and a DLQ", () => {
    const schedule = app.one(T.schedule, "DailyExtractSchedule").inputs;
    expect(schedule).toMatchObject({
      name: "daily_b3_etl_trigger_prod",
      scheduleExpression: "cron(0 9 * * ? *)",
      scheduleExpressionTimezone: "UTC",
      state: "ENABLED",
      flexibleTimeWindow: { mode: "OFF" },
      target: {
        arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:b3_extract_function_prod`,
        retryPolicy: { maximumRetryAttempts: 3 },
        deadLetterConfig: { arn: queueArn("ExtractDeadLetter") },
      },
    });
  });

  it("retries a failed run twice, then keeps the event in the same dead-letter queue", () => {
    expect(app.one(T.invokeConfig, "ExtractEventInvokeConfig").inputs).toEqual({
      functionName: "b3_extract_function_prod",
      maximumRetryAttempts: 2,
      destinationConfig: { onFailure: { destination: queueArn("ExtractDeadLetter") } },
    });
    expect(app.one(T.queue, "ExtractDeadLetter").inputs).toMatchObject({
      name: "b3-pipeline-prod-ExtractDeadLetter",
      messageRetentionSeconds: 1_209_600,
      sqsManagedSseEnabled: true,
    });
  });
});

function queueArn(logicalName: string) {
  return `arn:aws:sqs:${REGION}:${ACCOUNT}:${app.one(T.queue, logicalName).inputs.name}`;
}

describe("transform trigger", () => {
  it("is s3_trigger_glue_transform_prod, Node 22 arm64, linked to TransformJob only", () => {
    expect(app.one(T.fn, "TriggerGlueFunction").inputs).toMatchObject({
      name: "s3_trigger_glue_transform_prod",
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "packages/functions/src/trigger-glue.handler",
    });
    const build = app.builds.find((b) => b.functionID === "TriggerGlue");
    expect(build?.links).toEqual({
      TransformJob: {
        name: "transform_job_prod",
        arn: `arn:aws:glue:${REGION}:${ACCOUNT}:job/transform_job_prod`,
        type: "aws.glue/job.Job",
      },
    });
  });

  it("is notified for objects created under raw/ ending in .parquet, and only those", () => {
    const notifications = app.ofType(T.notification);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]?.inputs).toEqual({
      bucket: bucketName("DataLakeBucket"),
      lambdaFunctions: [
        {
          id: "RawParquetCreated",
          events: ["s3:ObjectCreated:*"],
          filterPrefix: "raw/",
          filterSuffix: ".parquet",
          lambdaFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:s3_trigger_glue_transform_prod`,
        },
      ],
      queues: [],
      topics: [],
    });
  });

  it("may be invoked by S3 from the data lake bucket only", () => {
    const permissions = app.ofType(T.permission);
    expect(permissions.map((p) => p.inputs)).toEqual([
      {
        action: "lambda:InvokeFunction",
        function: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:s3_trigger_glue_transform_prod`,
        principal: "s3.amazonaws.com",
        sourceArn: `arn:aws:s3:::${bucketName("DataLakeBucket")}`,
      },
    ]);
  });

  it("retries a failed start twice, then keeps the event in its dead-letter queue", () => {
    expect(app.one(T.invokeConfig, "TriggerGlueEventInvokeConfig").inputs).toEqual({
      functionName: "s3_trigger_glue_transform_prod",
      maximumRetryAttempts: 2,
      destinationConfig: { onFailure: { destination: queueArn("TriggerGlueDeadLetter") } },
    });
  });
});

describe("Glue job", () => {
  const job = () => app.one(T.job, "TransformJob").inputs;
  const assetsBucket = () => bucketName("GlueAssets");

  it("is transform_job_prod: Glue 6.0, G.1X × 2, Flex, one run at a time with queuing", () => {
    expect(job()).toMatchObject({
      name: "transform_job_prod",
      glueVersion: "6.0",
      workerType: "G.1X",
      numberOfWorkers: 2,
      executionClass: "FLEX",
      timeout: 60,
      maxRetries: 1,
      executionProperty: { maxConcurrentRuns: 1 },
      jobRunQueuingEnabled: true,
      roleArn: `arn:aws:iam::${ACCOUNT}:role/b3-pipeline-prod-TransformJobRole`,
    });
  });

  it("runs glue-scripts/transform.py uploaded to the Glue assets bucket", async () => {
    expect(job().command).toEqual({
      name: "glueetl",
      pythonVersion: "3",
      scriptLocation: `s3://${assetsBucket()}/scripts/transform.py`,
    });
    const script = app.one(T.object, "TransformScript").inputs;
    expect(script).toMatchObject({ bucket: assetsBucket(), key: "scripts/transform.py" });
    expect(await script.source.path).toBe(path.join(repoRoot, "glue-scripts/transform.py"));
  });

  it("uploads every glue-scripts/sql/*.sql and lists them in --extra-files", async () => {
    const sqlDir = path.join(repoRoot, "glue-scripts/sql");
    const files = existsSync(sqlDir)
      ? readdirSync(sqlDir)
          .filter((f) => f.endsWith(".sql"))
          .sort()
      : [];
    const objects = app.ofType(T.object).filter((o) => String(o.inputs.key).startsWith("sql/"));
    expect(objects.map((o) => o.inputs.key).sort()).toEqual(files.map((f) => `sql/${f}`));
    for (const object of objects) {
      expect(object.inputs.bucket).toBe(assetsBucket());
      expect(await object.inputs.source.path).toBe(
        path.join(repoRoot, "glue-scripts", object.inputs.key),
      );
    }
    const extraFiles = job().defaultArguments["--extra-files"];
    if (files.length === 0) expect(extraFiles).toBeUndefined();
    else expect(extraFiles.split(",")).toEqual(files.map((f) => `s3://${assetsBucket()}/sql/${f}`));
  });

  it("finds every uploaded file in the repository", () => {
    expect(app.assets.filter((a) => !a.exists)).toEqual([]);
    expect(app.assets.map((a) => a.path)).toContain("glue-scripts/transform.py");
  });

  it("passes the lake root, metrics and continuous logging by default", () => {
    expect(job().defaultArguments).toMatchObject({
      "--lake_root": `s3://${bucketName("DataLakeBucket")}/`,
      "--enable-metrics": "true",
      "--enable-observability-metrics": "true",
      "--enable-continuous-cloudwatch-log": "true",
      "--continuous-log-logGroup": "/aws-glue/jobs/transform_job_prod",
      "--job-language": "python",
    });
    expect(app.one(T.logGroup, "TransformJobLogGroup").inputs).toEqual({
      name: "/aws-glue/jobs/transform_job_prod",
      retentionInDays: 30,
    });
  });
});

describe("catalog", () => {
  const table = (name: string) =>
    app.ofType(T.table).find((t) => t.inputs.name === name) as SynthResource;
  const lake = () => bucketName("DataLakeBucket");

  it("creates database b3_prod with the three tables", () => {
    expect(app.ofType(T.database).map((d) => d.inputs.name)).toEqual(["b3_prod"]);
    expect(app.ofType(T.table).map((t) => [t.inputs.name, t.inputs.databaseName])).toEqual([
      ["raw_stocks", "b3_prod"],
      ["refined_stocks", "b3_prod"],
      ["aggregated_stocks", "b3_prod"],
    ]);
  });

  it("declares every table as external Parquet", () => {
    for (const t of app.ofType(T.table)) {
      expect(t.inputs.tableType).toBe("EXTERNAL_TABLE");
      expect(t.inputs.parameters).toMatchObject({ EXTERNAL: "TRUE", classification: "parquet" });
      expect(t.inputs.storageDescriptor).toMatchObject({
        inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        serDeInfo: {
          serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        },
      });
    }
  });

  const columns = (name: string) =>
    table(name).inputs.storageDescriptor.columns.map(
      (c: { name: string; type: string }) => `${c.name} ${c.type}`,
    );

  it("raw_stocks: the raw schema of DESIGN §4, partitioned by ingestion_date", () => {
    expect(columns("raw_stocks")).toEqual([
      "ticker string",
      "trade_date date",
      "open double",
      "high double",
      "low double",
      "close double",
      "adj_close double",
      "volume bigint",
      "ingested_at timestamp",
    ]);
    expect(table("raw_stocks").inputs.partitionKeys).toEqual([
      { name: "ingestion_date", type: "date" },
    ]);
    expect(table("raw_stocks").inputs.storageDescriptor.location).toBe(`s3://${lake()}/raw/`);
  });

  it("refined_stocks: the seed's columns in order, then fechamento_ajustado; partition data_pregao date", () => {
    expect(columns("refined_stocks")).toEqual([
      "nome_acao string",
      "abertura double",
      "fechamento double",
      "max double",
      "min double",
      "volume_negociado bigint",
      "media_movel_7d double",
      "lag_1d double",
      "lag_2d double",
      "lag_3d double",
      "fechamento_ajustado double",
    ]);
    expect(table("refined_stocks").inputs.partitionKeys).toEqual([
      { name: "data_pregao", type: "date" },
    ]);
    expect(table("refined_stocks").inputs.storageDescriptor.location).toBe(
      `s3://${lake()}/refined/`,
    );
  });

  it("aggregated_stocks: monthly columns, not partitioned", () => {
    expect(columns("aggregated_stocks")).toEqual([
      "nome_acao string",
      "mes_referencia date",
      "volume_total bigint",
      "preco_medio_fechamento double",
      "dias_pregao int",
      "mes_fechado boolean",
    ]);
    expect(table("aggregated_stocks").inputs.partitionKeys).toEqual([]);
    expect(table("aggregated_stocks").inputs.storageDescriptor.location).toBe(
      `s3://${lake()}/aggregated/`,
    );
    expect(
      Object.keys(table("aggregated_stocks").inputs.parameters).filter((k) =>
        k.startsWith("projection."),
      ),
    ).toEqual([]);
  });

  it.each([
    ["raw_stocks", "ingestion_date", "raw"],
    ["refined_stocks", "data_pregao", "refined"],
  ])("%s projects its %s partitions (no MSCK REPAIR, no crawler)", (name, key, prefix) => {
    expect(table(name).inputs.parameters).toMatchObject({
      "projection.enabled": "true",
      [`projection.${key}.type`]: "date",
      [`projection.${key}.range`]: "2000-01-01,NOW",
      [`projection.${key}.format`]: "yyyy-MM-dd",
      [`projection.${key}.interval`]: "1",
      [`projection.${key}.interval.unit`]: "DAYS",
      "storage.location.template": `s3://${lake()}/${prefix}/${key}=\${${key}}/`,
    });
  });
});

describe("Athena", () => {
  it("workgroup etl_workgroup_prod enforces encrypted results under query_results/ and a scan cutoff", () => {
    expect(app.one(T.workgroup, "Workgroup").inputs).toMatchObject({
      name: "etl_workgroup_prod",
      state: "ENABLED",
      forceDestroy: false,
      configuration: {
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        engineVersion: { selectedEngineVersion: "Athena engine version 3" },
        resultConfiguration: {
          outputLocation: `s3://${bucketName("AthenaResults")}/query_results/`,
          encryptionConfiguration: { encryptionOption: "SSE_S3" },
        },
      },
    });
  });

  it("saves the latest quotes, 7-day moving average and monthly volume queries in the workgroup", () => {
    const queries = app.ofType(T.namedQuery).map((q) => q.inputs);
    expect(queries.map((q) => q.name)).toEqual([
      "latest_quotes",
      "moving_average_7d_by_ticker",
      "monthly_volume",
    ]);
    for (const q of queries)
      expect(q).toMatchObject({ workgroup: "etl_workgroup_prod", database: "b3_prod" });
    expect(queries[0]?.query).toMatch(/FROM refined_stocks/);
    expect(queries[1]?.query).toMatch(/media_movel_7d/);
    expect(queries[2]?.query).toMatch(/FROM aggregated_stocks/);
    // Every query on a projected table bounds its partition column, so Athena reads few partitions.
    expect(queries[0]?.query).toMatch(/WHERE data_pregao >= /);
    expect(queries[1]?.query).toMatch(/WHERE data_pregao >= /);
  });
});

describe("alerts", () => {
  const topicArn = () => `arn:aws:sns:${REGION}:${ACCOUNT}:b3-pipeline-prod-alerts`;

  it("sends Glue job FAILED / TIMEOUT / STOPPED events for this job to the alerts topic", () => {
    const rule = app.one(T.rule, "TransformJobFailedRule").inputs;
    expect(JSON.parse(rule.eventPattern)).toEqual({
      source: ["aws.glue"],
      "detail-type": ["Glue Job State Change"],
      detail: { jobName: ["transform_job_prod"], state: ["FAILED", "TIMEOUT", "STOPPED"] },
    });
    const target = app.one(T.target, "TransformJobFailedTarget").inputs;
    expect(target).toMatchObject({
      rule: "b3-pipeline-prod-transform-job-failed",
      arn: topicArn(),
    });
    expect(target.inputTransformer.inputPaths).toMatchObject({
      job: "$.detail.jobName",
      state: "$.detail.state",
    });
  });

  it("alarms on function errors and on messages in either dead-letter queue", () => {
    const alarms = Object.fromEntries(app.ofType(T.alarm).map((a) => [a.name, a.inputs]));
    expect(Object.keys(alarms).sort()).toEqual([
      "ExtractDeadLetterAlarm",
      "ExtractErrorsAlarm",
      "TriggerGlueDeadLetterAlarm",
      "TriggerGlueErrorsAlarm",
    ]);
    expect(alarms.ExtractErrorsAlarm).toMatchObject({
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: "b3_extract_function_prod" },
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      treatMissingData: "notBreaching",
    });
    expect(alarms.ExtractDeadLetterAlarm).toMatchObject({
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: "b3-pipeline-prod-ExtractDeadLetter" },
      threshold: 1,
    });
    expect(alarms.TriggerGlueErrorsAlarm?.dimensions).toEqual({
      FunctionName: "s3_trigger_glue_transform_prod",
    });
    expect(alarms.TriggerGlueDeadLetterAlarm?.dimensions).toEqual({
      QueueName: "b3-pipeline-prod-TriggerGlueDeadLetter",
    });
    for (const alarm of Object.values(alarms)) expect(alarm.alarmActions).toEqual([topicArn()]);
  });

  it("subscribes B3_ALERT_EMAIL to the topic", () => {
    expect(app.ofType(T.subscription).map((s) => s.inputs)).toEqual([
      { topic: topicArn(), protocol: "email", endpoint: "oncall@example.com" },
    ]);
  });
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
    expect(readFileSync(path.join(repoRoot, "packages/functions/sst-env.d.ts"), "utf8")).toContain(
      '/// <reference path="../../sst-env.d.ts" />',
    );
  });

  it("types what the handlers read: Resource.DataLake.name and Resource.TransformJob.name/arn", () => {
    const root = renderRootSstEnv(app);
    expect(root).toContain(
      `"DataLake": {\n      "name": string\n      "type": "sst.sst.Linkable"\n    }`,
    );
    expect(root).toContain(
      `"TransformJob": {\n      "arn": string\n      "name": string\n      "type": "aws.glue/job.Job"\n    }`,
    );
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
