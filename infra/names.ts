/**
 * Stage-aware names and deploy-time settings shared by every infra module.
 *
 * Settings come from the environment of the machine running `sst deploy` (a laptop or the
 * GitHub deploy workflow), so the same values can be set as repository variables in CI.
 */
import { execFileSync } from "node:child_process";
import { stageNames } from "../packages/core/src/stage";

/** Stages that hold real data: retained on removal, and the only ones with the GitHub OIDC role. */
export const PERMANENT_STAGES: readonly string[] = ["prod"];

export const isPermanentStage = PERMANENT_STAGES.includes($app.stage);

/**
 * The stage as physical names carry it, taken from core's stageNames(): clients such as
 * `b3 query --stage` compute the database and workgroup names with that function, so the deployed
 * names cannot drift from theirs. Every fixed name ends the way the database name `b3_<suffix>` does.
 */
const stageSuffix = stageNames($app.stage).database.slice("b3_".length);

/** `physicalName("transform_job")` → `transform_job_prod`: the fixed names clients and people use. */
export function physicalName(base: string): string {
  return `${base}_${stageSuffix}`;
}

/**
 * Prefix for the names of resources without a fixed name (roles, queues, alarms, rules, topics).
 * SST uses the same `<app>-<stage>-` prefix for the resources it names, which lets the deploy role
 * be scoped to `<app>-<stage>-*`.
 */
export const namePrefix = `${$app.name}-${$app.stage}`;

export function prefixedName(name: string): string {
  return `${namePrefix}-${name}`;
}

/** Comma-separated tickers for the extract function (`B3_TICKERS`); unset keeps the code default. */
export const tickers = process.env.B3_TICKERS?.trim() || undefined;

/** E-mail address subscribed to the alerts topic (`B3_ALERT_EMAIL`); unset creates no subscription. */
export const alertEmail = process.env.B3_ALERT_EMAIL?.trim() || undefined;

/** Largest amount of data one Athena query in the workgroup may scan (10 GiB). */
export const athenaBytesScannedCutoff = 10 * 1024 ** 3;

/**
 * `owner/repo` of the GitHub repository whose `main` branch may deploy this stage: `B3_GITHUB_REPOSITORY`,
 * else `GITHUB_REPOSITORY` (set by GitHub Actions), else the `origin` remote of this checkout.
 */
export function githubRepository(): string {
  const fromEnv = process.env.B3_GITHUB_REPOSITORY?.trim() || process.env.GITHUB_REPOSITORY?.trim();
  const repo = fromEnv || repositoryFromGitRemote();
  if (!repo || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo)) {
    throw new Error(
      `Cannot tell which GitHub repository may deploy stage "${$app.stage}" (got "${repo ?? ""}"). ` +
        "Set B3_GITHUB_REPOSITORY=owner/repo, or run from a clone whose origin remote is on github.com.",
    );
  }
  return repo;
}

function repositoryFromGitRemote(): string | undefined {
  try {
    const url = execFileSync("git", ["remote", "get-url", "origin"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return /github\.com[:/]([^/]+\/[^/]+?)(?:\.git)?$/.exec(url)?.[1];
  } catch {
    return undefined;
  }
}

/** ARN of an existing GitHub OIDC provider in the account (only one per URL is allowed). */
export const existingGithubOidcProviderArn =
  process.env.B3_GITHUB_OIDC_PROVIDER_ARN?.trim() || undefined;

/** Where this stage deploys; resolved by the AWS provider at deploy time. */
export const partition = aws.getPartitionOutput().partition;
export const region = aws.getRegionOutput().region;
export const accountId = aws.getCallerIdentityOutput().accountId;
