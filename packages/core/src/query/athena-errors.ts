/** Athena's refusals in words a person can act on: the region, the credentials, the stage's workgroup and database, the result bucket. */
import {
  accessDeniedErrorNames,
  addressOf,
  isMissingCredentials,
  isMissingRegion,
  networkErrorCodeOf,
  rejectedCredentialErrorNames,
} from "../aws-failure.ts";
import { AthenaQueryError } from "./errors.ts";

export interface AthenaRequest {
  workgroup: string;
  database: string;
}

/** The remedy when the stage itself is not there: deployed elsewhere, or not at all. */
const notDeployed = (what: string) =>
  `deploy the stage with sst deploy, or set AWS_REGION / AWS_PROFILE to the account and region it was deployed to (${what} is made by the deploy)`;

/** An Athena API call that failed, as an AthenaQueryError saying why and what to do. */
export function athenaRequestError(cause: unknown, request: AthenaRequest): AthenaQueryError {
  const { workgroup } = request;
  const failure = (typeof cause === "object" && cause !== null ? cause : {}) as {
    name?: string;
    message?: string;
  };
  const { name = "", message = String(cause) } = failure;
  const options = { cause };
  if (isMissingRegion(cause)) {
    return new AthenaQueryError("NotStarted", "no AWS region is set, so Athena cannot be reached", {
      ...options,
      remedy:
        "set AWS_REGION to the region the stage was deployed to, or AWS_PROFILE to a profile with a region (aws configure)",
    });
  }
  if (isMissingCredentials(cause)) {
    return new AthenaQueryError("NotStarted", `found no AWS credentials (${message})`, {
      ...options,
      remedy:
        "set AWS_PROFILE (after aws configure or aws sso login) or the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables",
    });
  }
  if (rejectedCredentialErrorNames.has(name)) {
    return new AthenaQueryError("NotStarted", `AWS did not accept the credentials (${name})`, {
      ...options,
      remedy:
        "check AWS_PROFILE or the AWS_* credential variables, or renew the session (aws sso login)",
    });
  }
  const network = networkErrorCodeOf(cause);
  if (network !== undefined || name === "TimeoutError") {
    const address = addressOf(cause);
    return new AthenaQueryError(
      "NotStarted",
      `Athena${address === undefined ? "" : ` at ${address}`} did not answer (${network ?? name})`,
      { ...options, remedy: "check the network, and AWS_ENDPOINT_URL if you set one" },
    );
  }
  if (accessDeniedErrorNames.has(name)) {
    return new AthenaQueryError("NotStarted", `Athena refused the call: ${message}`, {
      ...options,
      remedy: `use credentials that may run queries in the workgroup ${workgroup} (athena:StartQueryExecution, athena:GetQueryExecution, athena:GetQueryResults) and read the lake (glue:Get*, s3:GetObject)`,
    });
  }
  if (/workgroup/i.test(message) && /not (be )?found|does not exist/i.test(message)) {
    return new AthenaQueryError("NotStarted", `the workgroup ${workgroup} does not exist here`, {
      ...options,
      remedy: notDeployed(`the workgroup ${workgroup}`),
    });
  }
  return new AthenaQueryError(
    "NotStarted",
    `Athena refused the call: ${name === "" ? "" : `${name}: `}${message}`,
    options,
  );
}

/** What to do about a query Athena ran and failed, from its reason; undefined when the SQL itself is the problem. */
export function failedQueryRemedy(reason: string, request: AthenaRequest): string | undefined {
  if (/SCHEMA_NOT_FOUND|Database .* not found|Schema .* does not exist/i.test(reason)) {
    return notDeployed(`the database ${request.database}`);
  }
  if (/TABLE_NOT_FOUND|Table .* not found|does not exist/i.test(reason)) {
    return "the tables are raw_stocks, refined_stocks and aggregated_stocks; if one is missing, redeploy the stage";
  }
  if (
    /output location|query results location|s3:\/\/.*(access denied|does not exist)|NoSuchBucket/i.test(
      reason,
    )
  ) {
    return `the workgroup ${request.workgroup} writes results to the stage's query-results bucket: check it exists and that the credentials may s3:PutObject there`;
  }
  if (/access denied|AccessDenied/i.test(reason)) {
    return "the credentials may not read the lake: they need glue:GetTable / glue:GetPartitions on the stage's database and s3:GetObject / s3:ListBucket on the lake bucket";
  }
  return undefined;
}
