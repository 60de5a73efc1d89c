/**
 * Least privilege, checked on the synthesized prod stack (issue 4 item 8, "nothing in the stack
 * grants more than it needs"): every policy document anywhere in the app is found and walked, then
 * each role's exact grants, the bucket policies, public access blocks and the GitHub OIDC trust.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ACCOUNT, REGION, type Synthesis, type SynthResource, synthesize } from "./synth";

let app: Synthesis;

beforeAll(async () => {
  app = await synthesize({
    stage: "prod",
    env: { B3_GITHUB_REPOSITORY: "acme/b3-pipeline", B3_GITHUB_OIDC_PROVIDER_ARN: undefined },
  });
});

type Statement = {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: "*" | Record<string, string | string[]>;
  NotPrincipal?: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
};
type PolicyDocument = { Version?: string; Statement: Statement[] };
type Found = { resource: SynthResource; path: string; document: PolicyDocument };

const list = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat());

/** Every IAM policy document in every resource's inputs, wherever it sits (JSON string or object). */
function allPolicyDocuments(): Found[] {
  const found: Found[] = [];
  const visit = (resource: SynthResource, value: unknown, at: string) => {
    if (typeof value === "string") {
      if (value.includes('"Statement"')) {
        try {
          visit(resource, JSON.parse(value), at);
        } catch {
          // not JSON: a query text or description mentioning "Statement"
        }
      }
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        visit(resource, item, `${at}[${i}]`);
      });
      return;
    }
    if (value && typeof value === "object") {
      if ("Statement" in value) {
        const document = value as PolicyDocument;
        found.push({
          resource,
          path: at,
          document: { ...document, Statement: [document.Statement].flat() },
        });
        return;
      }
      for (const [key, inner] of Object.entries(value))
        visit(resource, inner, at ? `${at}.${key}` : key);
    }
  };
  for (const resource of app.resources) visit(resource, resource.inputs, "");
  return found;
}

/** Actions AWS authorizes only on "*" (no resource-level permissions). Each needs a reason here. */
const ACTIONS_WITHOUT_RESOURCE_LEVEL = new Set([
  "sts:GetCallerIdentity", // the CLI and the AWS provider check who they are
  "cloudwatch:PutMetricData", // Glue job metrics; narrowed by a cloudwatch:namespace condition
]);

const isTrustPolicy = (f: Found) => f.path === "assumeRolePolicy";

describe("every policy document in the app", () => {
  it("finds the documents of every role, bucket and topic", () => {
    const documents = allPolicyDocuments();
    const roles = app.ofType("aws:iam/role:Role");
    expect(roles.map((r) => r.name).sort()).toEqual([
      "DailyExtractRole",
      "ExtractRole",
      "GithubDeployRole",
      "TransformJobRole",
      "TriggerGlueRole",
    ]);
    for (const role of roles) {
      expect(
        documents.some((d) => d.resource === role && isTrustPolicy(d)),
        `${role.name} trust`,
      ).toBe(true);
      expect(
        documents.some((d) => d.resource === role && !isTrustPolicy(d)),
        `${role.name} policy`,
      ).toBe(true);
    }
    expect(
      documents.filter((d) => d.resource.type === "aws:s3/bucketPolicy:BucketPolicy"),
    ).toHaveLength(3);
    expect(
      documents.filter((d) => d.resource.type === "aws:sns/topicPolicy:TopicPolicy"),
    ).toHaveLength(1);
  });

  it("never allows a `*` or `service:*` action, nor NotAction / NotResource", () => {
    const offenders = allPolicyDocuments().flatMap(({ resource, path, document }) =>
      document.Statement.filter((s) => s.Effect === "Allow")
        .filter(
          (s) =>
            s.NotAction !== undefined ||
            s.NotResource !== undefined ||
            list(s.Action).some((a) => a === "*" || a.endsWith(":*")),
        )
        .map((s) => `${resource.name} ${path}: ${JSON.stringify(s)}`),
    );
    expect(offenders).toEqual([]);
  });

  it("allows `*` resources only for actions that have no resource-level permissions", () => {
    const offenders = allPolicyDocuments().flatMap(({ resource, path, document }) =>
      document.Statement.filter(
        (s) => s.Effect === "Allow" && !isTrustPolicy({ resource, path, document }),
      )
        .filter((s) => {
          const resources = list(s.Resource);
          const wildcard = resources.some(
            (r) => r === "*" || /^arn:[^:]+:[^:]*:[^:]*:[^:]*:\*$/.test(r),
          );
          return wildcard && !list(s.Action).every((a) => ACTIONS_WITHOUT_RESOURCE_LEVEL.has(a));
        })
        .map((s) => `${resource.name} ${path}: ${JSON.stringify(s)}`),
    );
    expect(offenders).toEqual([]);
  });

  it("narrows PutMetricData to the Glue namespace", () => {
    const metricStatements = allPolicyDocuments().flatMap((f) =>
      f.document.Statement.filter((s) => list(s.Action).includes("cloudwatch:PutMetricData")),
    );
    expect(metricStatements).toHaveLength(1);
    expect(metricStatements[0]?.Condition).toEqual({
      StringEquals: { "cloudwatch:namespace": ["Glue"] },
    });
  });

  it("never allows anonymous principals in resource policies", () => {
    const offenders = allPolicyDocuments().flatMap(({ resource, document }) =>
      document.Statement.filter((s) => s.Effect === "Allow" && s.Principal !== undefined)
        .filter(
          (s) =>
            s.Principal === "*" || list((s.Principal as Record<string, string>).AWS).includes("*"),
        )
        .map((s) => `${resource.name}: ${JSON.stringify(s)}`),
    );
    expect(offenders).toEqual([]);
  });

  it("lets roles be assumed only by the AWS service that uses them, or by GitHub's OIDC", () => {
    const trusts = allPolicyDocuments().filter(isTrustPolicy);
    for (const { resource, document } of trusts) {
      for (const s of document.Statement) {
        expect(Object.keys(s.Principal as object), resource.name).not.toContain("AWS");
        const federated = list((s.Principal as Record<string, string>).Federated);
        if (federated.length > 0) expect(s.Condition, resource.name).toBeDefined();
      }
    }
  });

  it("attaches no managed policy to any role (SST's default logging policy allows logs on every group)", () => {
    for (const role of app.ofType("aws:iam/role:Role")) {
      expect(role.inputs.managedPolicyArns ?? [], role.name).toEqual([]);
    }
  });
});

// -----------------------------------------------------------------------------------------------

function role(name: string): SynthResource {
  const found = app.ofType("aws:iam/role:Role").filter((r) => r.name === name);
  expect(found, name).toHaveLength(1);
  return found[0] as SynthResource;
}

/** A role's inline statements as `{ actions, resources, conditions }`, order-insensitive. */
function grants(roleName: string) {
  const r = role(roleName);
  return r.inputs.inlinePolicies.flatMap((p: { policy: string }) =>
    (JSON.parse(p.policy) as PolicyDocument).Statement.map((s) => ({
      effect: s.Effect,
      actions: list(s.Action).sort(),
      resources: list(s.Resource).sort(),
      ...(s.Condition ? { conditions: s.Condition } : {}),
    })),
  );
}

function trust(roleName: string): PolicyDocument {
  const policy = role(roleName).inputs.assumeRolePolicy;
  return typeof policy === "string" ? JSON.parse(policy) : policy;
}

const bucket = (component: string) =>
  app.one("aws:s3/bucket:Bucket", `${component}Bucket`).inputs.bucket as string;
const lakeArn = () => `arn:aws:s3:::${bucket("DataLakeBucket")}`;
const assetsArn = () => `arn:aws:s3:::${bucket("GlueAssets")}`;
const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:b3-pipeline-prod-${name}`;
const logArn = (group: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${group}`;
const jobArn = `arn:aws:glue:${REGION}:${ACCOUNT}:job/transform_job_prod`;
const allow = (actions: string[], resources: string[], conditions?: object) => ({
  effect: "Allow",
  actions: [...actions].sort(),
  resources: [...resources].sort(),
  ...(conditions ? { conditions } : {}),
});

describe("the extract function's role", () => {
  it("may write and re-read raw/ only, list key names, log to its own group and use its DLQ", () => {
    expect(grants("ExtractRole")).toEqual(
      expect.arrayContaining([
        allow(["s3:PutObject", "s3:GetObject"], [`${lakeArn()}/raw/*`]),
        allow(["s3:ListBucket"], [lakeArn()]),
        allow(
          ["logs:CreateLogStream", "logs:PutLogEvents"],
          [`${logArn("/aws/lambda/b3_extract_function_prod")}:*`],
        ),
        allow(["sqs:SendMessage"], [queueArn("ExtractDeadLetter")]),
      ]),
    );
    expect(grants("ExtractRole")).toHaveLength(4);
  });

  it("is assumable by Lambda only", () => {
    expect(trust("ExtractRole").Statement).toEqual([
      expect.objectContaining({
        Effect: "Allow",
        Action: "sts:AssumeRole",
        Principal: { Service: "lambda.amazonaws.com" },
      }),
    ]);
  });
});

describe("the trigger function's role", () => {
  it("may start and read runs of this Glue job only, log to its own group and use its DLQ", () => {
    expect(grants("TriggerGlueRole")).toEqual(
      expect.arrayContaining([
        allow(["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns"], [jobArn]),
        allow(
          ["logs:CreateLogStream", "logs:PutLogEvents"],
          [`${logArn("/aws/lambda/s3_trigger_glue_transform_prod")}:*`],
        ),
        allow(["sqs:SendMessage"], [queueArn("TriggerGlueDeadLetter")]),
      ]),
    );
    expect(grants("TriggerGlueRole")).toHaveLength(3);
  });
});

describe("the schedule's role", () => {
  it("may invoke the extract function and send to its DLQ, nothing else", () => {
    expect(grants("DailyExtractRole")).toEqual([
      allow(
        ["lambda:InvokeFunction"],
        [`arn:aws:lambda:${REGION}:${ACCOUNT}:function:b3_extract_function_prod`],
      ),
      allow(["sqs:SendMessage"], [queueArn("ExtractDeadLetter")]),
    ]);
    expect(trust("DailyExtractRole").Statement).toEqual([
      expect.objectContaining({ Principal: { Service: "scheduler.amazonaws.com" } }),
    ]);
  });
});

describe("the Glue job's role", () => {
  it("reads raw/ and its assets, writes refined/, aggregated/ and its staging folder, logs and metrics", () => {
    const outputs = ["refined", "aggregated", "_transform_staging"].flatMap((p) => [
      `${lakeArn()}/${p}/*`,
      `${lakeArn()}/${p}_$folder$`,
    ]);
    expect(grants("TransformJobRole")).toEqual([
      allow(["s3:GetObject"], [`${assetsArn()}/scripts/*`, `${assetsArn()}/sql/*`]),
      allow(["s3:GetObject"], [`${lakeArn()}/raw/*`]),
      allow(
        ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
        outputs,
      ),
      allow(["s3:ListBucket", "s3:GetBucketLocation"], [lakeArn()]),
      allow(
        ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        [logArn("/aws-glue/jobs/*")],
      ),
      allow(["cloudwatch:PutMetricData"], ["*"], {
        StringEquals: { "cloudwatch:namespace": ["Glue"] },
      }),
    ]);
  });

  it("grants nothing on raw/ beyond reading, and nothing on the Data Catalog", () => {
    const statements = grants("TransformJobRole");
    const onRaw = statements.filter((s: { resources: string[] }) =>
      s.resources.some((r) => r.includes("/raw/")),
    );
    expect(onRaw.flatMap((s: { actions: string[] }) => s.actions)).toEqual(["s3:GetObject"]);
    expect(
      statements
        .flatMap((s: { actions: string[] }) => s.actions)
        .filter((a: string) => a.startsWith("glue:")),
    ).toEqual([]);
  });

  it("is assumable by Glue only", () => {
    expect(trust("TransformJobRole").Statement).toEqual([
      expect.objectContaining({ Principal: { Service: "glue.amazonaws.com" } }),
    ]);
  });
});

describe("buckets", () => {
  const policies = () => app.ofType("aws:s3/bucketPolicy:BucketPolicy");

  it("each deny every request that is not over TLS, and grant nothing", () => {
    expect(
      policies()
        .map((p) => p.inputs.bucket)
        .sort(),
    ).toEqual(
      app
        .ofType("aws:s3/bucket:Bucket")
        .map((b) => b.inputs.bucket)
        .sort(),
    );
    for (const policy of policies()) {
      const arn = `arn:aws:s3:::${policy.inputs.bucket}`;
      expect((JSON.parse(policy.inputs.policy) as PolicyDocument).Statement).toEqual([
        {
          Effect: "Deny",
          Principal: "*",
          Action: ["s3:*"],
          Resource: [arn, `${arn}/*`],
          Condition: { Bool: { "aws:SecureTransport": ["false"] } },
        },
      ]);
    }
  });

  it("block every form of public access", () => {
    const blocks = app.ofType("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
    expect(blocks).toHaveLength(3);
    for (const block of blocks) {
      expect(block.inputs).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
    }
  });
});

describe("alerts topic", () => {
  it("accepts publications only from this stage's Glue rule and alarms", () => {
    const policy = JSON.parse(
      app.one("aws:sns/topicPolicy:TopicPolicy", "AlertsPolicy").inputs.policy,
    ) as PolicyDocument;
    const topic = `arn:aws:sns:${REGION}:${ACCOUNT}:b3-pipeline-prod-alerts`;
    const alarmArns = app
      .ofType("aws:cloudwatch/metricAlarm:MetricAlarm")
      .map((a) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${a.inputs.name}`);
    expect(policy.Statement).toEqual([
      {
        Sid: "GlueFailureRule",
        Effect: "Allow",
        Principal: { Service: ["events.amazonaws.com"] },
        Action: ["sns:Publish"],
        Resource: [topic],
        Condition: {
          ArnEquals: {
            "aws:SourceArn": [
              `arn:aws:events:${REGION}:${ACCOUNT}:rule/b3-pipeline-prod-transform-job-failed`,
            ],
          },
        },
      },
      {
        Sid: "PipelineAlarms",
        Effect: "Allow",
        Principal: { Service: ["cloudwatch.amazonaws.com"] },
        Action: ["sns:Publish"],
        Resource: [topic],
        Condition: {
          ArnEquals: { "aws:SourceArn": alarmArns },
          StringEquals: { "aws:SourceAccount": [ACCOUNT] },
        },
      },
    ]);
  });
});

describe("GitHub deploys (prod only)", () => {
  it("creates the GitHub OIDC provider for sts.amazonaws.com", () => {
    expect(
      app.ofType("aws:iam/openIdConnectProvider:OpenIdConnectProvider").map((p) => p.inputs),
    ).toEqual([
      { url: "https://token.actions.githubusercontent.com", clientIdLists: ["sts.amazonaws.com"] },
    ]);
  });

  it("trusts only this repository's main branch, through that provider", () => {
    expect(trust("GithubDeployRole").Statement).toEqual([
      {
        Sid: "GithubMainBranchOnly",
        Effect: "Allow",
        Action: ["sts:AssumeRoleWithWebIdentity"],
        Principal: {
          Federated: [`arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`],
        },
        Condition: {
          StringEquals: {
            "token.actions.githubusercontent.com:aud": ["sts.amazonaws.com"],
            "token.actions.githubusercontent.com:sub": [
              "repo:acme/b3-pipeline:ref:refs/heads/main",
            ],
          },
        },
      },
    ]);
  });

  it("is named outside the prefix its own policy manages, so a workflow cannot widen it", () => {
    const name = role("GithubDeployRole").inputs.name as string;
    expect(name).toBe("github-deploy-b3-pipeline-prod");
    const iamResources = grants("GithubDeployRole")
      .filter((s: { actions: string[] }) => s.actions.some((a) => a.startsWith("iam:")))
      .flatMap((s: { resources: string[] }) => s.resources);
    for (const resource of iamResources) {
      const pattern = new RegExp(
        `^${resource.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*")}$`,
      );
      expect(pattern.test(`arn:aws:iam::${ACCOUNT}:role/${name}`), resource).toBe(false);
    }
  });

  it("scopes the deploy policy to this stage's names", () => {
    const resources: string[] = grants("GithubDeployRole").flatMap(
      (s: { resources: string[] }) => s.resources,
    );
    // Glue authorizes database and table calls on the account's catalog too.
    const stageScoped = (r: string) =>
      r === "*" ||
      r === `arn:aws:glue:${REGION}:${ACCOUNT}:catalog` ||
      /b3-pipeline-prod-|_prod\b|b3_prod|\/sst\/\*|sst-(state|asset)-\*|token\.actions\.githubusercontent\.com|log-group:\*$/.test(
        r,
      );
    expect(resources.filter((r) => !stageScoped(r))).toEqual([]);
  });

  it("passes roles only to the services that use them", () => {
    const passRole = grants("GithubDeployRole").filter((s: { actions: string[] }) =>
      s.actions.includes("iam:PassRole"),
    );
    expect(passRole).toEqual([
      allow(["iam:PassRole"], [`arn:aws:iam::${ACCOUNT}:role/b3-pipeline-prod-*`], {
        StringEquals: {
          "iam:PassedToService": [
            "lambda.amazonaws.com",
            "glue.amazonaws.com",
            "scheduler.amazonaws.com",
          ],
        },
      }),
    ]);
  });
});
