/** Turns a lake location into a lake: `s3://bucket[/prefix]` is an S3 lake, `file://…` or anything else a local folder. */
import { fileURLToPath } from "node:url";
import type { S3Client } from "@aws-sdk/client-s3";
import { LakeError } from "./errors.ts";
import { localLake } from "./local-lake.ts";
import { createS3Client, s3Lake } from "./s3-lake.ts";
import type { LakeStorage } from "./storage.ts";

/** Every malformed location gets the same advice. */
const usage = { remedy: "use a folder path or s3://bucket[/prefix]", settings: ["lake"] } as const;

export function openLake(location: string, options?: { s3Client?: S3Client }): LakeStorage {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (location.trim() === "")
      throw new LakeError("InvalidLocation", "the lake location is empty", usage);
    return localLake(location);
  }
  if (scheme === "file") {
    try {
      return localLake(fileURLToPath(location));
    } catch (cause) {
      throw new LakeError("InvalidLocation", `${location} is not a valid file URL`, {
        ...usage,
        cause,
      });
    }
  }
  if (scheme !== "s3") {
    throw new LakeError(
      "InvalidLocation",
      `${location}: ${scheme}:// lakes are not supported`,
      usage,
    );
  }
  const path = location.slice("s3://".length);
  const slash = path.indexOf("/");
  const bucket = slash === -1 ? path : path.slice(0, slash);
  const prefix = slash === -1 ? "" : path.slice(slash + 1).replace(/\/+$/, "");
  const bucketProblem = bucketNameProblem(bucket);
  if (bucketProblem !== undefined) {
    throw new LakeError("InvalidLocation", `${location}: ${bucketProblem}`, usage);
  }
  if (prefix !== "" && prefix.split("/").some((s) => s === "" || s === "." || s === "..")) {
    throw new LakeError(
      "InvalidLocation",
      `${location}: the prefix ${JSON.stringify(prefix)} has an empty, "." or ".." segment`,
      usage,
    );
  }
  return s3Lake({ bucket, prefix, client: options?.s3Client ?? createS3Client() });
}

/** Why `bucket` cannot be an S3 general-purpose bucket name, or undefined when it can (rules from the S3 user guide). */
function bucketNameProblem(bucket: string): string | undefined {
  if (bucket === "") return "the bucket name is missing";
  if (bucket.length < 3 || bucket.length > 63) {
    return `bucket name ${JSON.stringify(bucket)} must be 3 to 63 characters long`;
  }
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(bucket)) {
    return `bucket name ${JSON.stringify(bucket)} may hold only lower-case letters, digits, "." and "-", and must start and end with a letter or digit`;
  }
  if (bucket.includes("..")) return `bucket name ${JSON.stringify(bucket)} has two adjacent dots`;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    return `bucket name ${JSON.stringify(bucket)} looks like an IP address`;
  }
  if (/^(xn--|sthree-)|(-s3alias|--ol-s3)$/.test(bucket)) {
    return `bucket name ${JSON.stringify(bucket)} uses a prefix or suffix S3 reserves`;
  }
  return undefined;
}
