/**
 * Every IAM policy document of the synthesized prod stack (role policies, trust policies, bucket and
 * topic policies) checked against AWS's own list of actions and resource types, by parliament
 * (PyPI, pinned in glue-scripts/requirements-dev.txt) through infra/test/iam_lint.py: no unknown
 * action, no grant whose resources its actions cannot apply to, no "*" where an action supports a
 * narrower resource. What remains is waived below, in one place, each with its reason.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "./setup";
import { type Synthesis, synthesize } from "./synth";

type Kind = "identity" | "resource" | "trust";
interface Entry {
  id: string;
  kind: Kind;
  document: unknown;
}
interface Finding {
  id: string;
  sid: string | null;
  issue: string;
  detail: string;
}
interface Waiver {
  /** Which documents: `<resource name> <path>`, e.g. "GithubDeployRole inlinePolicies[0].policy". */
  id?: RegExp;
  kind?: Kind;
  sid?: string;
  issue: string;
  detail?: RegExp;
  reason: string;
}

/** The findings that stay, and why. A finding not matched here fails the test; so does a waiver nothing matches. */
const WAIVERS: Waiver[] = [
  {
    kind: "trust",
    issue: "MALFORMED",
    detail: /neither Resource nor NotResource/,
    reason:
      "a trust policy names who may assume the role (Principal), never a Resource; parliament reads every document as an identity policy",
  },
  {
    id: /^GithubDeployRole assumeRolePolicy$/,
    issue: "UNKNOWN_FEDERATION_SOURCE",
    detail: /oidc-provider\/token\.actions\.githubusercontent\.com$/,
    reason:
      "parliament knows the Cognito, Amazon, Facebook, Google and SAML federation sources, not an account's own OIDC provider for GitHub Actions",
  },
  {
    id: /^GithubDeployRole inlinePolicies/,
    issue: "RESOURCE_POLICY_PRIVILEGE_ESCALATION",
    detail:
      /on arn:aws:s3:::b3-pipeline-prod-\* due to s3:\w+ not being allowed, but does allow s3:(PutBucketPolicy|PutBucketAcl|PutLifecycleConfiguration)$/,
    reason:
      "deploying creates and updates the stage's buckets, their policy, ACL and lifecycle included; the role is limited to b3-pipeline-prod-* and only main can assume it (docs/DEPLOY.md)",
  },
];

const python = path.join(repoRoot, ".venv", "bin", "python");
const lintScript = path.join(repoRoot, "infra", "test", "iam_lint.py");

function lint(entries: Entry[]): Finding[] {
  if (!existsSync(python)) {
    throw new Error(
      `${python} is missing: run \`bash scripts/setup-python.sh\` (it installs parliament)`,
    );
  }
  const run = spawnSync(python, [lintScript], { input: JSON.stringify(entries), encoding: "utf8" });
  if (run.status !== 0) throw new Error(`iam_lint.py failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as Finding[];
}

/** Every policy document in every resource's inputs, wherever it sits (JSON string or object). */
function policyDocuments(app: Synthesis): Entry[] {
  const found: Entry[] = [];
  const visit = (resource: { type: string; name: string }, value: unknown, at: string) => {
    if (typeof value === "string") {
      if (value.includes('"Statement"')) {
        try {
          visit(resource, JSON.parse(value), at);
        } catch {
          // not JSON: a query or a description that mentions "Statement"
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
        const kind: Kind =
          at === "assumeRolePolicy"
            ? "trust"
            : resource.type.startsWith("aws:iam/")
              ? "identity"
              : "resource";
        found.push({ id: `${resource.name} ${at}`, kind, document: value });
        return;
      }
      for (const [key, inner] of Object.entries(value)) {
        visit(resource, inner, at ? `${at}.${key}` : key);
      }
    }
  };
  for (const resource of app.resources) visit(resource, resource.inputs, "");
  return found;
}

const waiverFor = (entries: Entry[], finding: Finding) =>
  WAIVERS.find(
    (w) =>
      w.issue === finding.issue &&
      (w.id === undefined || w.id.test(finding.id)) &&
      (w.kind === undefined || entries.find((e) => e.id === finding.id)?.kind === w.kind) &&
      (w.sid === undefined || w.sid === finding.sid) &&
      (w.detail === undefined || w.detail.test(finding.detail)),
  );

let entries: Entry[];
let findings: Finding[];

beforeAll(async () => {
  const app = await synthesize({
    stage: "prod",
    env: { B3_GITHUB_REPOSITORY: "acme/b3-pipeline", B3_GITHUB_OIDC_PROVIDER_ARN: undefined },
  });
  entries = policyDocuments(app);
  findings = lint(entries);
});

describe("parliament on every policy document of the prod stack", () => {
  it("finds the documents: role, trust, bucket and topic policies", () => {
    const kinds = new Set(entries.map((e) => e.kind));
    expect([...kinds].sort()).toEqual(["identity", "resource", "trust"]);
    expect(entries.length).toBeGreaterThanOrEqual(10);
    expect(entries.map((e) => e.id)).toEqual(
      expect.arrayContaining([
        "GithubDeployRole inlinePolicies[0].policy",
        "TransformJobRole inlinePolicies[0].policy",
        "DataLakeBucketPolicy policy",
      ]),
    );
  });

  it("no unknown action, no mismatched resource, no needless *: every finding is waived", () => {
    const unwaived = findings
      .filter((f) => !waiverFor(entries, f))
      .map((f) => `${f.id} [${f.sid ?? "-"}] ${f.issue}: ${f.detail}`);
    expect(unwaived).toEqual([]);
  });

  it("every waiver still matches a finding (none is stale)", () => {
    const stale = WAIVERS.filter((w) => !findings.some((f) => waiverFor(entries, f) === w));
    expect(stale.map((w) => w.reason)).toEqual([]);
  });
});

describe("the linter itself", () => {
  it("catches an unknown action, a resource its action cannot apply to, and a needless *", () => {
    const bad = lint([
      {
        id: "bad",
        kind: "identity",
        document: {
          Version: "2012-10-17",
          Statement: [
            { Sid: "Typo", Effect: "Allow", Action: "s3:GetObjekt", Resource: "arn:aws:s3:::b/*" },
            {
              Sid: "WrongResource",
              Effect: "Allow",
              Action: "glue:StartJobRun",
              Resource: "arn:aws:s3:::b/*",
            },
            { Sid: "Star", Effect: "Allow", Action: "s3:GetObject", Resource: "*" },
          ],
        },
      },
    ]);
    const issues = bad.map((f) => `${f.sid ?? "-"} ${f.issue}`);
    expect(issues).toEqual(
      expect.arrayContaining([
        "- UNKNOWN_ACTION",
        "WrongResource ACTION_WITHOUT_RESOURCE",
        "WrongResource RESOURCE_WITHOUT_ACTION",
        "Star RESOURCE_STAR",
      ]),
    );
    expect(bad.find((f) => f.issue === "UNKNOWN_ACTION")?.detail).toMatch(/GetObjekt/);
  });
});
