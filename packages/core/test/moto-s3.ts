/** The S3 side of the lake tests: a client on the moto server the global setup started, and fresh buckets in it. */
import { randomUUID } from "node:crypto";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { inject } from "vitest";
import { createS3Client } from "../src/lake/s3-lake.ts";

// moto accepts any credentials while it does not enforce IAM; set them so the SDK never looks further.
process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";
process.env.AWS_REGION = "us-east-1";
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;

export const motoEndpoint = inject("motoEndpoint");
export const motoS3 = createS3Client({ endpoint: motoEndpoint });

/** A new, empty bucket of its own, so that tests never see each other's objects. */
export async function freshBucket(s3: S3Client = motoS3): Promise<string> {
  const bucket = `b3-test-${randomUUID()}`.slice(0, 40);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}
