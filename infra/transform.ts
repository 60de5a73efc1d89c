/**
 * The transform: a raw Parquet file landing under raw/ → S3 notification → trigger function →
 * Glue job `transform_job_<stage>` (glue-scripts/transform.py) → refined/ and aggregated/.
 */
import { readdirSync } from "node:fs";
import { pipelineFunction } from "./lambda";
import { accountId, partition, physicalName, prefixedName, region } from "./names";
import { dataLakeBucket, glueAssets } from "./storage";

export const transformJobName = physicalName("transform_job");

// ---------------------------------------------------------------------------------------------
// Glue script and the SQL it shares with the local DuckDB engine, uploaded from the repository.
// ---------------------------------------------------------------------------------------------

/** One file of the repository, uploaded to the Glue assets bucket under `key`. */
function glueAsset(logicalName: string, key: string, source: string, contentType: string) {
  return new aws.s3.BucketObjectv2(logicalName, {
    bucket: glueAssets.name,
    key,
    source: $asset(source),
    contentType,
  });
}

const scriptKey = "scripts/transform.py";
const scriptObject = glueAsset(
  "TransformScript",
  scriptKey,
  "glue-scripts/transform.py",
  "text/x-python",
);

/** The lake lock's Python side, imported by the script (`--extra-py-files`). */
const lockModuleKey = "scripts/lake_lock.py";
const lockModuleObject = glueAsset(
  "TransformLockModule",
  lockModuleKey,
  "glue-scripts/lake_lock.py",
  "text/x-python",
);

/** Every `glue-scripts/sql/*.sql`, read when the app is synthesized (the folder may be empty). */
export const sqlFiles = listSqlFiles("glue-scripts/sql");

/** The lake's table declarations, from which the script builds its Spark schemas. */
const tablesKey = "sql/tables.json";
const tablesObject = glueAsset(
  "TransformTables",
  tablesKey,
  "packages/core/src/lake/tables.json",
  "application/json",
);

const sqlObjects = sqlFiles.map((file) =>
  glueAsset(
    `TransformSql${logicalSuffix(file)}`,
    `sql/${file}`,
    `glue-scripts/sql/${file}`,
    "application/sql",
  ),
);

function listSqlFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith(".sql"))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** `refined_features.sql` → `RefinedFeaturesSql` (a valid, stable Pulumi logical name). */
function logicalSuffix(file: string): string {
  return file
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

// ---------------------------------------------------------------------------------------------
// The job's role: read raw/ and its own assets, read/write refined/, aggregated/ and the script's
// staging folder, write its logs and metrics. Nothing else (no Data Catalog access: tables use partition projection).
// ---------------------------------------------------------------------------------------------

/** Where the job writes: the two outputs and the script's own staging folder. */
const writablePrefixes = ["refined", "aggregated", "_transform_staging"];

/** The lake's control objects: the writers' lock, the publish journal, the applied-raw state. */
const controlObjects = ["_lake.lock", "_transform_journal.json", "_transform_state.json"];

const transformJobPolicy = aws.iam.getPolicyDocumentOutput({
  statements: [
    {
      sid: "ReadJobAssets",
      actions: ["s3:GetObject"],
      resources: [$interpolate`${glueAssets.arn}/scripts/*`, $interpolate`${glueAssets.arn}/sql/*`],
    },
    {
      sid: "ReadRaw",
      actions: ["s3:GetObject"],
      resources: [$interpolate`${dataLakeBucket.arn}/raw/*`],
    },
    {
      // `<prefix>_$folder$` are the directory markers Glue's S3 file system may create.
      sid: "ReadWriteOutputs",
      actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
      resources: writablePrefixes.flatMap((prefix) => [
        $interpolate`${dataLakeBucket.arn}/${prefix}/*`,
        $interpolate`${dataLakeBucket.arn}/${prefix}_$folder$`,
      ]),
    },
    {
      sid: "LakeControlObjects",
      actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      resources: controlObjects.map((key) => $interpolate`${dataLakeBucket.arn}/${key}`),
    },
    {
      // Listing (key names only) is what makes S3 answer 404 instead of 403 for a missing key:
      // Spark's "does refined/ exist yet" checks depend on it. A prefix condition would not do.
      sid: "ListLake",
      actions: ["s3:ListBucket", "s3:GetBucketLocation"],
      resources: [dataLakeBucket.arn],
    },
    {
      sid: "WriteGlueJobLogs",
      actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
      resources: [
        $interpolate`arn:${partition}:logs:${region}:${accountId}:log-group:/aws-glue/jobs/*`,
      ],
    },
    {
      // PutMetricData has no resource-level permissions; the namespace condition narrows it.
      sid: "PublishGlueMetrics",
      actions: ["cloudwatch:PutMetricData"],
      resources: ["*"],
      conditions: [{ test: "StringEquals", variable: "cloudwatch:namespace", values: ["Glue"] }],
    },
  ],
});

export const transformJobRole = new aws.iam.Role("TransformJobRole", {
  name: prefixedName("TransformJobRole"),
  description: `Role of the Glue job ${transformJobName}`,
  assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "glue.amazonaws.com" }),
  inlinePolicies: [{ name: "transform", policy: transformJobPolicy.json }],
});

export const transformJobLogGroup = new aws.cloudwatch.LogGroup("TransformJobLogGroup", {
  name: `/aws-glue/jobs/${transformJobName}`,
  retentionInDays: 30,
});

// ---------------------------------------------------------------------------------------------
// The job. Linkable as `TransformJob` (name, arn) carrying exactly the calls the trigger makes.
// ---------------------------------------------------------------------------------------------

sst.Linkable.wrap(aws.glue.Job, (job) => ({
  properties: { name: job.name, arn: job.arn },
  include: [
    sst.aws.permission({
      actions: ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns"],
      resources: [job.arn],
    }),
  ],
}));

/** `--extra-files`: Glue copies these next to the script before it starts. */
const extraFiles = glueAssets.name.apply((bucket) =>
  [...sqlFiles.map((file) => `sql/${file}`), tablesKey]
    .map((key) => `s3://${bucket}/${key}`)
    .join(","),
);

export const transformJob = new aws.glue.Job(
  "TransformJob",
  {
    name: transformJobName,
    description: "raw/ingestion_date=D → refined/ (data_pregao partitions) and aggregated/",
    roleArn: transformJobRole.arn,
    glueVersion: "6.0",
    workerType: "G.1X",
    numberOfWorkers: 2,
    // Flex runs on spare capacity at a lower price; a start delay is fine for a daily batch.
    executionClass: "FLEX",
    timeout: 60,
    // Flex capacity can be reclaimed mid-run; the transform is idempotent, so one retry is safe.
    maxRetries: 1,
    executionProperty: { maxConcurrentRuns: 1 },
    // A second raw file while a run is in progress waits in Glue's queue instead of failing.
    jobRunQueuingEnabled: true,
    command: {
      name: "glueetl",
      pythonVersion: "3",
      scriptLocation: $interpolate`s3://${glueAssets.name}/${scriptKey}`,
    },
    defaultArguments: {
      "--job-language": "python",
      "--lake_root": $interpolate`s3://${dataLakeBucket.name}/`,
      "--enable-metrics": "true",
      "--enable-observability-metrics": "true",
      "--enable-continuous-cloudwatch-log": "true",
      "--continuous-log-logGroup": transformJobLogGroup.name,
      "--job-bookmark-option": "job-bookmark-disable",
      "--extra-py-files": $interpolate`s3://${glueAssets.name}/${lockModuleKey}`,
      "--extra-files": extraFiles,
    },
  },
  { dependsOn: [scriptObject, lockModuleObject, tablesObject, ...sqlObjects] },
);

// ---------------------------------------------------------------------------------------------
// The trigger: S3 notification for raw/*.parquet → StartJobRun with --raw_path.
// ---------------------------------------------------------------------------------------------

export const triggerFunctionName = physicalName("s3_trigger_glue_transform");

/**
 * A throttled or refused StartJobRun throws, so the event goes through the retries and ends in the
 * dead-letter queue (lambda.ts) rather than being dropped.
 */
export const { fn: triggerGlue, deadLetter: triggerDeadLetter } = pipelineFunction("TriggerGlue", {
  name: triggerFunctionName,
  description: `Starts ${transformJobName} for each raw Parquet file written to the data lake`,
  handler: "packages/functions/src/trigger-glue.handler",
  memory: "256 MB",
  timeout: "30 seconds",
  link: [transformJob],
});

export const rawNotifications = dataLakeBucket.notify({
  notifications: [
    {
      name: "RawParquetCreated",
      function: triggerGlue.arn,
      events: ["s3:ObjectCreated:*"],
      filterPrefix: "raw/",
      filterSuffix: ".parquet",
    },
  ],
});
