/**
 * The three buckets: the data lake, the Glue scripts, the Athena query results.
 * All private (public access block, no CORS), TLS-only (SST's bucket policy denies
 * aws:SecureTransport=false) and encrypted at rest with SSE-S3.
 */
import { isPermanentStage } from "./names";

/**
 * The data lake bucket. Its SST name is `DataLakeBucket`, not `DataLake`, because SST requires
 * linkable names to be unique and `DataLake` is the least-privilege linkable below, which is what
 * the extract handler reads as `Resource.DataLake.name`. Linking the bucket itself would grant s3:*.
 */
export const dataLakeBucket = new sst.aws.Bucket("DataLakeBucket", {
  versioning: true,
  cors: false,
  // Prod data survives `sst remove` (removal: "retain") and cannot be emptied by a replacement.
  transform: { bucket: { forceDestroy: !isPermanentStage } },
});

export const glueAssets = new sst.aws.Bucket("GlueAssets", { cors: false });

export const athenaResults = new sst.aws.Bucket("AthenaResults", {
  cors: false,
  lifecycle: [{ id: "expire-query-results", prefix: "query_results/", expiresIn: "30 days" }],
});

for (const [name, bucket] of [
  ["DataLakeBucket", dataLakeBucket],
  ["GlueAssets", glueAssets],
  ["AthenaResults", athenaResults],
] as const) {
  new aws.s3.BucketServerSideEncryptionConfiguration(`${name}Encryption`, {
    bucket: bucket.name,
    rules: [
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true },
    ],
  });
}

// Versioning keeps overwritten raw/refined objects recoverable for a while, not forever.
new aws.s3.BucketLifecycleConfiguration("DataLakeBucketLifecycle", {
  bucket: dataLakeBucket.name,
  rules: [
    {
      id: "expire-noncurrent-versions",
      status: "Enabled",
      filter: {},
      noncurrentVersionExpiration: { noncurrentDays: 30 },
    },
    {
      id: "abort-incomplete-multipart-uploads",
      status: "Enabled",
      filter: {},
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
    },
  ],
});

/**
 * What the extract function sees as `Resource.DataLake`: the bucket name, and only what extract does
 * with it — merge the day's raw file (read it back, put the merged file) while holding the lake
 * lock `_lake.lock` (create, renew, read, release). s3:ListBucket (key names only) is there so that
 * a missing raw file answers 404 rather than 403; nothing else in the lake can be read or written.
 */
export const dataLake = new sst.Linkable("DataLake", {
  properties: { name: dataLakeBucket.name },
  include: [
    sst.aws.permission({
      actions: ["s3:PutObject", "s3:GetObject"],
      resources: [$interpolate`${dataLakeBucket.arn}/raw/*`],
    }),
    sst.aws.permission({
      actions: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
      resources: [$interpolate`${dataLakeBucket.arn}/_lake.lock`],
    }),
    sst.aws.permission({
      actions: ["s3:ListBucket"],
      resources: [dataLakeBucket.arn],
    }),
  ],
});
