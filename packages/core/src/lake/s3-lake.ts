/** A lake in an S3 bucket (optionally under a key prefix): each write is one PutObject, which S3 makes visible whole or not at all. */

import { createRequire } from "node:module";
import type * as S3 from "@aws-sdk/client-s3";
import { addressOf, networkErrorCodeOf, rejectedCredentialErrorNames } from "../aws-failure.ts";
import { LakeError } from "./errors.ts";
import type { LakeStorage } from "./storage.ts";

// require(), not import: the Lambda bundle leaves the AWS SDK (CommonJS) to the runtime, and an
// ESM import of it first has Node lex its large entry file for named exports on every cold start
// (docs/BENCHMARKS.md has the figure). require() is the same module, same classes, without that.
// Loaded on first use, so that a command on a folder lake (b3 transform) never loads the SDK.
let sdk: typeof S3 | undefined;
const s3Sdk = (): typeof S3 => {
  sdk ??= createRequire(import.meta.url)("@aws-sdk/client-s3") as typeof S3;
  return sdk;
};
type S3Client = S3.S3Client;

export interface S3LakeOptions {
  bucket: string;
  client: S3Client;
  /** Key prefix the lake lives under, e.g. `prod/lake`; leading and trailing slashes are ignored. */
  prefix?: string;
  /** Keys per ListObjectsV2 page (S3's maximum and default is 1000); smaller only to exercise pagination. */
  listPageSize?: number;
}

export function s3Lake(options: S3LakeOptions): LakeStorage {
  const { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, paginateListObjectsV2 } =
    s3Sdk();
  const { bucket, client, listPageSize } = options;
  const lakePrefix = normalizePrefix(options.prefix ?? "");
  const objectKeyOf = (key: string): string => {
    const segments = key.split("/");
    if (key === "" || key.startsWith("/") || segments.some((s) => s === "." || s === "..")) {
      throw new LakeError(
        "InvalidLocation",
        `key ${JSON.stringify(key)} is not a lake-relative key inside s3://${bucket}/${lakePrefix}`,
        { key },
      );
    }
    return lakePrefix + key;
  };
  const where = { bucket, lakePrefix };
  const read = async (key: string): Promise<{ body: Uint8Array; etag: string | undefined }> => {
    const objectKey = objectKeyOf(key);
    try {
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey }));
      // Reading the body is part of the request: a connection dropped mid-body must map like any other failure.
      const body = (await response.Body?.transformToByteArray()) ?? new Uint8Array();
      return { body, etag: response.ETag };
    } catch (cause) {
      throw s3Error(cause, { ...where, key, objectKey, action: "read" });
    }
  };
  /** One conditional PutObject: the new etag, or `refused` when S3 answers that the condition does not hold. */
  const conditionalPut = async <R>(
    key: string,
    body: Uint8Array,
    condition: { IfNoneMatch: "*" } | { IfMatch: string },
    refused: R,
  ): Promise<{ etag: string } | R> => {
    const objectKey = objectKeyOf(key);
    let etag: string | undefined;
    try {
      const response = await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: objectKey,
          Body: body,
          ContentType: "application/octet-stream",
          ...condition,
        }),
      );
      etag = response.ETag;
    } catch (cause) {
      if (conditionFailed(cause) || ("IfMatch" in condition && isGone(cause))) return refused;
      throw s3Error(cause, { ...where, key, objectKey, action: "write" });
    }
    return { etag: requireEtag(etag, `s3://${bucket}/${objectKey}`, key) };
  };
  return {
    root: `s3://${bucket}${lakePrefix === "" ? "" : `/${lakePrefix.slice(0, -1)}`}`,
    uri: (key) => `s3://${bucket}/${objectKeyOf(key)}`,
    async put(key, body, putOptions) {
      const objectKey = objectKeyOf(key);
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: objectKey,
            Body: body,
            ContentType: putOptions?.contentType ?? "application/octet-stream",
          }),
        );
      } catch (cause) {
        throw s3Error(cause, { ...where, key, objectKey, action: "write" });
      }
    },
    async get(key) {
      return (await read(key)).body;
    },
    async getWithVersion(key) {
      const { body, etag } = await read(key);
      return { body, etag: requireEtag(etag, `s3://${bucket}/${objectKeyOf(key)}`, key) };
    },
    createIfAbsent: (key, body) => conditionalPut(key, body, { IfNoneMatch: "*" }, "exists"),
    replaceIfMatch: (key, body, etag) => conditionalPut(key, body, { IfMatch: etag }, "changed"),
    async deleteIfMatch(key, etag) {
      const objectKey = objectKeyOf(key);
      const request = { Bucket: bucket, Key: objectKey };
      try {
        try {
          await client.send(new DeleteObjectCommand({ ...request, IfMatch: etag }));
          return "deleted";
        } catch (cause) {
          if (conditionFailed(cause) || isGone(cause)) return "changed";
          if (!notImplemented(cause)) throw cause;
        }
        // A store without conditional deletes: compare, then delete (not atomic, but the object is
        // one that only its holder deletes).
        const current = await client
          .send(new GetObjectCommand(request))
          .then((response) => response.ETag)
          .catch((cause: unknown) => {
            if (isGone(cause)) return undefined;
            throw cause;
          });
        if (current === undefined || unquoted(current) !== unquoted(etag)) return "changed";
        await client.send(new DeleteObjectCommand(request));
        return "deleted";
      } catch (cause) {
        throw s3Error(cause, { ...where, key, objectKey, action: "delete" });
      }
    },
    async list(prefix) {
      const keys: string[] = [];
      try {
        const pages = paginateListObjectsV2(
          { client, ...(listPageSize === undefined ? {} : { pageSize: listPageSize }) },
          { Bucket: bucket, Prefix: lakePrefix + prefix },
        );
        for await (const page of pages) {
          for (const object of page.Contents ?? []) {
            if (object.Key !== undefined) keys.push(object.Key.slice(lakePrefix.length));
          }
        }
      } catch (cause) {
        throw s3Error(cause, {
          ...where,
          key: prefix,
          objectKey: lakePrefix + prefix,
          action: "list",
        });
      }
      // S3 orders by UTF-8 bytes; sort again so the order is the same as the local lake's.
      return keys.sort();
    },
  };
}

/**
 * An S3 client with bounded retries and timeouts, so an unreachable endpoint fails in seconds rather than hanging a run.
 * The endpoint comes from `options.endpoint`, else `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL` (moto, MinIO, LocalStack);
 * a custom endpoint gets path-style addressing because local servers do not resolve `bucket.host` names.
 */
export function createS3Client(options?: { endpoint?: string; region?: string }): S3Client {
  const endpoint =
    options?.endpoint ??
    nonEmpty(process.env.AWS_ENDPOINT_URL_S3) ??
    nonEmpty(process.env.AWS_ENDPOINT_URL);
  const region =
    options?.region ??
    nonEmpty(process.env.AWS_REGION) ??
    nonEmpty(process.env.AWS_DEFAULT_REGION) ??
    "us-east-1";
  return new (s3Sdk().S3Client)({
    region,
    ...(endpoint === undefined ? {} : { endpoint, forcePathStyle: true }),
    maxAttempts: 3,
    requestHandler: {
      connectionTimeout: 3_000,
      // socketTimeout is the inactivity timer: it cuts a silent server off without capping a slow but moving upload.
      // (requestTimeout caps the whole request and, in this SDK version, only logs a warning unless told to throw.)
      socketTimeout: 10_000,
    },
  });
}

const wrongRegionErrorNames = new Set(["PermanentRedirect", "AuthorizationHeaderMalformed"]);
const permissionOf = {
  write: "s3:PutObject",
  read: "s3:GetObject",
  list: "s3:ListBucket",
  delete: "s3:DeleteObject",
} as const;

interface FailedRequest {
  bucket: string;
  lakePrefix: string;
  key: string;
  objectKey: string;
  action: keyof typeof permissionOf;
}

function s3Error(cause: unknown, request: FailedRequest): LakeError {
  const { bucket, lakePrefix, key, objectKey, action } = request;
  const target = `s3://${bucket}/${objectKey}`;
  const what = `cannot ${action} ${target}`;
  const failure = (typeof cause === "object" && cause !== null ? cause : {}) as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number; attempts?: number; requestId?: string };
  };
  const { name = "", message = String(cause) } = failure;
  const { httpStatusCode: status, attempts, requestId } = failure.$metadata ?? {};
  const networkCode = networkErrorCodeOf(cause);
  const options = { key, cause };

  if (networkCode !== undefined || name === "TimeoutError") {
    const address = addressOf(cause);
    const tries = attempts === undefined ? "" : `, ${attempts} attempt${attempts === 1 ? "" : "s"}`;
    return new LakeError(
      "Unreachable",
      `${what}: S3${address === undefined ? "" : ` at ${address}`} did not answer (${networkCode ?? name}${tries})`,
      {
        ...options,
        remedy: "check the network, and AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL if you set one",
      },
    );
  }
  if (name === "NoSuchBucket" || name === "InvalidBucketName") {
    return new LakeError(
      "InvalidLocation",
      `${what}: bucket ${bucket} does not exist in this account and region`,
      {
        ...options,
        remedy: "check the bucket name in the lake location, and AWS_REGION",
        settings: ["lake"],
      },
    );
  }
  if (wrongRegionErrorNames.has(name) || status === 301) {
    return new LakeError("InvalidLocation", `${what}: bucket ${bucket} is in another region`, {
      ...options,
      remedy: "set AWS_REGION to the bucket's region",
    });
  }
  if (action === "read" && (name === "NoSuchKey" || name === "NotFound" || status === 404)) {
    return new LakeError("NotFound", `${target} does not exist`, options);
  }
  if (name === "CredentialsProviderError") {
    return new LakeError("AccessDenied", `${what}: found no AWS credentials (${message})`, {
      ...options,
      remedy: "set AWS_PROFILE or the AWS_* credential variables",
    });
  }
  if (rejectedCredentialErrorNames.has(name)) {
    return new LakeError("AccessDenied", `${what}: AWS did not accept the credentials (${name})`, {
      ...options,
      remedy: "check AWS_PROFILE or the AWS_* credential variables, or renew the session",
    });
  }
  if (name === "AccessDenied" || status === 403) {
    const resource =
      action === "list"
        ? `arn:aws:s3:::${bucket}`
        : `s3://${bucket}/${lakePrefix}${topFolderOf(key)}*`;
    const note =
      action === "read"
        ? " (S3 also answers 403 for a missing key when the role may not s3:ListBucket)"
        : "";
    return new LakeError("AccessDenied", `${what}: access denied${note}`, {
      ...options,
      remedy: `check that the role may ${permissionOf[action]} on ${resource}`,
    });
  }
  // Anything else (5xx after the SDK's retries, a body cut short…): keep what S3 said and the request id for a support case.
  const http = [
    status === undefined ? undefined : `HTTP ${status}`,
    requestId === undefined ? undefined : `request id ${requestId}`,
  ].filter((part) => part !== undefined);
  return new LakeError(
    "WriteFailed",
    `${what}: ${name === "" ? "" : `${name}: `}${message}${http.length === 0 ? "" : ` (${http.join(", ")})`}`,
    options,
  );
}

/** S3's answers that a condition does not hold: 412, or 409 when a conditional write on the key is in flight. */
function conditionFailed(cause: unknown): boolean {
  const { name, status } = failureOf(cause);
  return (
    name === "PreconditionFailed" ||
    name === "ConditionalRequestConflict" ||
    status === 412 ||
    status === 409
  );
}

/** The key is gone (an If-Match on a missing key is answered 404 NoSuchKey); a missing bucket is not this. */
function isGone(cause: unknown): boolean {
  const { name, status } = failureOf(cause);
  return name === "NoSuchKey" || (status === 404 && name !== "NoSuchBucket");
}

/** A store that does not implement a request option (some S3-compatible servers, for a conditional delete). */
function notImplemented(cause: unknown): boolean {
  const { name, status } = failureOf(cause);
  return name === "NotImplemented" || status === 501;
}

function failureOf(cause: unknown): { name: string | undefined; status: number | undefined } {
  const { name, $metadata } = (typeof cause === "object" && cause !== null ? cause : {}) as {
    name?: string;
    $metadata?: { httpStatusCode?: number };
  };
  return { name, status: $metadata?.httpStatusCode };
}

function unquoted(etag: string): string {
  return etag.replaceAll('"', "");
}

/** The ETag S3 answered with: conditional writes cannot work without one. */
function requireEtag(etag: string | undefined, target: string, key: string): string {
  if (etag === undefined || etag === "") {
    throw new LakeError("WriteFailed", `${target}: S3 answered without an ETag`, { key });
  }
  return etag;
}

/** The Node network error code of `cause`, looking inside the AggregateError that dual-stack connection attempts throw. */

/** `raw/ingestion_date=D/x.parquet` → `raw/`: IAM grants are usually written per lake folder. */
function topFolderOf(key: string): string {
  const slash = key.indexOf("/");
  return slash === -1 ? "" : key.slice(0, slash + 1);
}

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
