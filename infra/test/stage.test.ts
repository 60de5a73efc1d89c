/**
 * A temporary stage (what `sst dev` or a preview deploy creates): stage-aware physical names, data
 * removed with the stage, and no GitHub deploy access.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { stageNames } from "./core";
import { unstagedNames } from "./stack";
import { type Synthesis, synthesize } from "./synth";

let app: Synthesis;

beforeAll(async () => {
  app = await synthesize({
    stage: "Feature-42",
    env: {
      B3_GITHUB_REPOSITORY: undefined,
      GITHUB_REPOSITORY: undefined,
      B3_TICKERS: undefined,
      B3_ALERT_EMAIL: undefined,
    },
  });
});

describe("a temporary stage", () => {
  it("synthesizes with no error", () => {
    expect(app.errors).toEqual([]);
  });

  it("carries the stage in every physical name, as core's stageNames() writes it", () => {
    expect(unstagedNames(app)).toEqual([]);
    expect(stageNames("Feature-42")).toEqual({
      database: app.outputs.glueDatabase,
      workgroup: app.outputs.athenaWorkgroup,
    });
    expect(app.outputs).toMatchObject({
      extractFunction: "b3_extract_function_feature_42",
      transformJob: "transform_job_feature_42",
    });
  });

  it("is removable: buckets are not retained and can be emptied, the workgroup too", () => {
    expect(app.app).toMatchObject({ removal: "remove", protect: false });
    for (const bucket of app.ofType("aws:s3/bucket:Bucket")) {
      expect(bucket.retainOnDelete, bucket.name).toBeUndefined();
      expect(bucket.inputs.forceDestroy, bucket.name).toBe(true);
    }
    expect(app.one("aws:athena/workgroup:Workgroup", "Workgroup").inputs.forceDestroy).toBe(true);
  });

  it("creates no GitHub OIDC provider or deploy role, and needs no repository name", () => {
    expect(app.ofType("aws:iam/openIdConnectProvider:OpenIdConnectProvider")).toEqual([]);
    expect(app.ofType("aws:iam/role:Role").map((r) => r.name)).not.toContain("GithubDeployRole");
    expect(app.outputs).not.toHaveProperty("githubDeployRoleArn");
  });

  it("sets no ticker override and subscribes no e-mail when none is configured", () => {
    const env = app.one("aws:lambda/function:Function", "ExtractFunction").inputs.environment
      .variables;
    expect(env).not.toHaveProperty("B3_TICKERS");
    expect(app.ofType("aws:sns/topicSubscription:TopicSubscription")).toEqual([]);
  });
});

describe("the repository allowed to deploy", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it("comes from B3_GITHUB_REPOSITORY first, then GitHub Actions' GITHUB_REPOSITORY", async () => {
    const { githubRepository } = await import("../names");
    process.env.GITHUB_REPOSITORY = "someone/fork";
    process.env.B3_GITHUB_REPOSITORY = "acme/b3-pipeline";
    expect(githubRepository()).toBe("acme/b3-pipeline");
    delete process.env.B3_GITHUB_REPOSITORY;
    expect(githubRepository()).toBe("someone/fork");
  });

  it("must look like owner/repo", async () => {
    const { githubRepository } = await import("../names");
    process.env.B3_GITHUB_REPOSITORY = "acme/b3-pipeline:ref:refs/heads/*";
    expect(() => githubRepository()).toThrow(/B3_GITHUB_REPOSITORY=owner\/repo/);
  });
});
