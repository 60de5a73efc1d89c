/**
 * Least privilege, checked on the synthesized prod stack: every policy document anywhere in the app
 * is found and held to the same rules; the few grants AWS does not let us scope to the stage are
 * listed once, in UNSCOPED, with their reason.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  allows,
  isTrustPolicy,
  list,
  type PolicyDocument,
  policyDocuments,
  roleStatements,
  type Statement,
  stageNaming,
  wildcardMatch,
} from "./stack";
import { ACCOUNT, REGION, type Synthesis, synthesize } from "./synth";

let app: Synthesis;

beforeAll(async () => {
  app = await synthesize({
    stage: "prod",
    env: { B3_GITHUB_REPOSITORY: "acme/b3-pipeline", B3_GITHUB_OIDC_PROVIDER_ARN: undefined },
  });
});

const regional = (service: string, resource: string) =>
  `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
const GITHUB_OIDC = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;

/** Grants that cannot name this stage. Each entry must still be in use (no stale exceptions). */
const UNSCOPED: { resources: string[]; actions?: string[]; condition?: object; why: string }[] = [
  {
    resources: ["*"],
    actions: ["sts:GetCallerIdentity"],
    why: "STS has no resource-level permissions; the CLI and the AWS provider check who they are",
  },
  {
    resources: ["*"],
    actions: ["cloudwatch:PutMetricData"],
    condition: { StringEquals: { "cloudwatch:namespace": ["Glue"] } },
    why: "no resource-level permissions; the Glue job's metrics, narrowed to Glue's namespace",
  },
  {
    resources: [regional("logs", "log-group:/aws-glue/jobs/*")],
    actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
    why: "Glue also writes to its own log groups (/aws-glue/jobs/output, /error), shared by every job",
  },
  {
    resources: ["*"],
    actions: ["logs:DescribeLogGroups"],
    why: "DescribeLogGroups has no resource-level permissions",
  },
  {
    resources: ["*"],
    actions: ["sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes"],
    why: "calls on a subscription have no resource-level permissions",
  },
  {
    resources: [regional("glue", "catalog")],
    why: "Glue authorizes database and table calls on the account's catalog too",
  },
  {
    resources: [regional("ssm", "parameter/sst/*")],
    why: "SST's bootstrap parameters and secrets: one set per account and region",
  },
  {
    resources: ["sst-state-*", "sst-state-*/*", "sst-asset-*", "sst-asset-*/*"].map(
      (b) => `arn:aws:s3:::${b}`,
    ),
    why: "SST's bootstrap buckets: one pair per account and region",
  },
  { resources: [GITHUB_OIDC], why: "an account has one GitHub OIDC provider, shared by its repos" },
];

/** Who may assume each role of the stack. */
const TRUSTED: Record<string, string> = {
  ExtractRole: "lambda.amazonaws.com",
  TriggerGlueRole: "lambda.amazonaws.com",
  DailyExtractRole: "scheduler.amazonaws.com",
  TransformJobRole: "glue.amazonaws.com",
  GithubDeployRole: GITHUB_OIDC,
};

const allowStatements = () =>
  policyDocuments(app).flatMap((found) =>
    found.document.Statement.filter((s) => s.Effect === "Allow").map((statement) => ({
      ...found,
      statement,
    })),
  );

function exceptionFor(statement: Statement, resource: string) {
  return UNSCOPED.find(
    (e) =>
      e.resources.includes(resource) &&
      (!e.actions || list(statement.Action).every((a) => e.actions?.includes(a))) &&
      (!e.condition || JSON.stringify(statement.Condition) === JSON.stringify(e.condition)),
  );
}

describe("every policy document in the app", () => {
  it("is found: a trust and a permission policy per role, and the bucket and topic policies", () => {
    const documents = policyDocuments(app);
    const roles = app.ofType("aws:iam/role:Role");
    expect(roles.map((r) => r.name).sort()).toEqual(Object.keys(TRUSTED).sort());
    for (const role of roles) {
      const own = documents.filter((d) => d.resource === role);
      expect(own.filter(isTrustPolicy), role.name).toHaveLength(1);
      expect(own.filter((d) => !isTrustPolicy(d)).length, role.name).toBeGreaterThan(0);
    }
    const types = documents.map((d) => d.resource.type);
    expect(types.filter((t) => t === "aws:s3/bucketPolicy:BucketPolicy")).toHaveLength(3);
    expect(types.filter((t) => t === "aws:sns/topicPolicy:TopicPolicy")).toHaveLength(1);
  });

  it("never allows a `*` or `service:*` action, nor NotAction / NotResource", () => {
    const offenders = allowStatements()
      .filter(
        ({ statement: s }) =>
          s.NotAction !== undefined ||
          s.NotResource !== undefined ||
          list(s.Action).some((a) => a === "*" || a.endsWith(":*")),
      )
      .map(({ resource, statement }) => `${resource.name}: ${JSON.stringify(statement)}`);
    expect(offenders).toEqual([]);
  });

  it("grants only on this stage's resources, apart from the listed exceptions", () => {
    const { ownsArn } = stageNaming(app);
    const offenders = allowStatements().flatMap(({ resource, statement }) =>
      list(statement.Resource)
        .filter((r) => !ownsArn(r) && !exceptionFor(statement, r))
        .map((r) => `${resource.name} ${statement.Sid ?? ""}: ${list(statement.Action)} on ${r}`),
    );
    expect(offenders).toEqual([]);
  });

  it("uses every listed exception (remove one that no grant needs any more)", () => {
    const used = new Set(
      allowStatements().flatMap(({ statement }) =>
        list(statement.Resource).map((r) => exceptionFor(statement, r)),
      ),
    );
    expect(UNSCOPED.filter((e) => !used.has(e)).map((e) => e.why)).toEqual([]);
  });

  it("never allows anonymous principals", () => {
    const anonymous = allowStatements().filter(
      ({ statement: s }) =>
        s.Principal === "*" || list((s.Principal as Record<string, string>)?.AWS).includes("*"),
    );
    expect(anonymous).toEqual([]);
  });

  it("attaches no managed policy to any role (SST's default logging policy covers every group)", () => {
    for (const role of app.ofType("aws:iam/role:Role"))
      expect(role.inputs.managedPolicyArns ?? [], role.name).toEqual([]);
  });
});

describe("roles", () => {
  it("are assumable only by the service that runs with them, or by GitHub's OIDC", () => {
    for (const [name, principal] of Object.entries(TRUSTED)) {
      const trust = policyDocuments(app).find(
        (d) => d.resource === app.one("aws:iam/role:Role", name) && isTrustPolicy(d),
      )?.document as PolicyDocument;
      expect(
        trust.Statement.map((s) => s.Principal),
        name,
      ).toEqual([
        principal.startsWith("arn:") ? { Federated: [principal] } : { Service: principal },
      ]);
    }
  });

  it("let GitHub in only for this repository's main branch", () => {
    const trust = JSON.parse(
      app.one("aws:iam/role:Role", "GithubDeployRole").inputs.assumeRolePolicy,
    );
    expect(trust.Statement[0].Condition).toEqual({
      StringEquals: {
        "token.actions.githubusercontent.com:aud": ["sts.amazonaws.com"],
        "token.actions.githubusercontent.com:sub": ["repo:acme/b3-pipeline:ref:refs/heads/main"],
      },
    });
  });

  it("keep the deploy role out of its own reach, and pass roles only to the services that use them", () => {
    const deploy = roleStatements(app, "GithubDeployRole");
    const self = `arn:aws:iam::${ACCOUNT}:role/${app.one("aws:iam/role:Role", "GithubDeployRole").inputs.name}`;
    for (const action of ["iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:PassRole"])
      expect(allows(deploy, action, self), action).toBe(false);
    const passRole = deploy.filter((s) => list(s.Action).includes("iam:PassRole"));
    expect(passRole.map((s) => s.Condition)).toEqual([
      {
        StringEquals: {
          "iam:PassedToService": [
            "lambda.amazonaws.com",
            "glue.amazonaws.com",
            "scheduler.amazonaws.com",
          ],
        },
      },
    ]);
  });

  // Who may do what in the data lake: each writer owns its part, and nobody else reaches it.
  it.each([
    ["ExtractRole", "s3:PutObject", "raw/ingestion_date=2018-01-11/stocks_data.parquet", true],
    ["ExtractRole", "s3:GetObject", "raw/ingestion_date=2018-01-11/stocks_data.parquet", true],
    ["ExtractRole", "s3:DeleteObject", "raw/ingestion_date=2018-01-11/stocks_data.parquet", false],
    ["ExtractRole", "s3:PutObject", "_lake.lock", true],
    ["ExtractRole", "s3:PutObject", "refined/data_pregao=2018-01-09/part-0.parquet", false],
    ["ExtractRole", "s3:GetObject", "aggregated/part-0.parquet", false],
    ["ExtractRole", "s3:PutObject", "_transform_state.json", false],
    ["TransformJobRole", "s3:GetObject", "raw/ingestion_date=2018-01-11/stocks_data.parquet", true],
    [
      "TransformJobRole",
      "s3:PutObject",
      "raw/ingestion_date=2018-01-11/stocks_data.parquet",
      false,
    ],
    [
      "TransformJobRole",
      "s3:DeleteObject",
      "raw/ingestion_date=2018-01-11/stocks_data.parquet",
      false,
    ],
    ["TransformJobRole", "s3:PutObject", "refined/data_pregao=2018-01-09/part-0.parquet", true],
    ["TransformJobRole", "s3:DeleteObject", "aggregated/part-0.parquet", true],
    ["TransformJobRole", "s3:PutObject", "_transform_journal.json", true],
    ["TransformJobRole", "s3:PutObject", "_lake.lock", true],
    ["TriggerGlueRole", "s3:GetObject", "raw/ingestion_date=2018-01-11/stocks_data.parquet", false],
    [
      "DailyExtractRole",
      "s3:GetObject",
      "raw/ingestion_date=2018-01-11/stocks_data.parquet",
      false,
    ],
  ] as const)("%s %s on <lake>/%s: %s", (role, action, key, allowed) => {
    const lake = app.one("aws:s3/bucket:Bucket", "DataLakeBucketBucket").inputs.bucket;
    expect(allows(roleStatements(app, role), action, `arn:aws:s3:::${lake}/${key}`)).toBe(allowed);
  });
});

describe("resource policies", () => {
  it("make every bucket TLS-only and block every form of public access", () => {
    const buckets = app.ofType("aws:s3/bucket:Bucket").map((b) => b.inputs.bucket as string);
    const policies = app.ofType("aws:s3/bucketPolicy:BucketPolicy");
    expect(policies.map((p) => p.inputs.bucket).sort()).toEqual([...buckets].sort());
    for (const policy of policies) {
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
    const blocks = app.ofType("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
    expect(blocks.map((b) => b.inputs.bucket).sort()).toEqual([...buckets].sort());
    for (const { inputs } of blocks) {
      const { blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets } =
        inputs;
      expect([blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets]).toEqual(
        [true, true, true, true],
      );
    }
  });

  it("let only this stage's Glue failure rule and alarms publish to the alerts topic", () => {
    const policy = JSON.parse(
      app.one("aws:sns/topicPolicy:TopicPolicy", "AlertsPolicy").inputs.policy,
    );
    const sources = policy.Statement.flatMap(
      (s: Statement) => s.Condition?.ArnEquals?.["aws:SourceArn"] ?? [],
    ).sort();
    expect(sources).toEqual(
      [
        ...app
          .ofType("aws:cloudwatch/eventRule:EventRule")
          .map((r) => regional("events", `rule/${r.inputs.name}`)),
        ...app
          .ofType("aws:cloudwatch/metricAlarm:MetricAlarm")
          .map((a) => regional("cloudwatch", `alarm:${a.inputs.name}`)),
      ].sort(),
    );
    expect(policy.Statement.map((s: Statement) => s.Action)).toEqual([
      ["sns:Publish"],
      ["sns:Publish"],
    ]);
  });
});

it("wildcardMatch reads IAM patterns as IAM does", () => {
  expect(wildcardMatch("arn:aws:s3:::b/raw/*", "arn:aws:s3:::b/raw/x/y.parquet")).toBe(true);
  expect(wildcardMatch("arn:aws:s3:::b/raw/*", "arn:aws:s3:::b/refined/x")).toBe(false);
  expect(wildcardMatch("s3:Get*", "s3:GetObject")).toBe(true);
});
