/**
 * Reading a synthesized stack the way the contract tests do: its physical names, its policy
 * documents, and what a statement allows.
 */
import { stageNames } from "./core";
import type { Synthesis, SynthResource } from "./synth";

export type Statement = {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: "*" | Record<string, string | string[]>;
  Condition?: Record<string, Record<string, string | string[]>>;
};
export type PolicyDocument = { Version?: string; Statement: Statement[] };
export type FoundPolicy = { resource: SynthResource; path: string; document: PolicyDocument };

export const list = (value: string | string[] | undefined) =>
  value === undefined ? [] : [value].flat();

/** Every IAM policy document in every resource's inputs, wherever it sits (JSON string or object). */
export function policyDocuments(app: Synthesis): FoundPolicy[] {
  const found: FoundPolicy[] = [];
  const visit = (resource: SynthResource, value: unknown, at: string) => {
    if (typeof value === "string") {
      if (value.includes('"Statement"')) {
        try {
          visit(resource, JSON.parse(value), at);
        } catch {
          // not JSON: a query text or description mentioning "Statement"
        }
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        visit(resource, item, `${at}[${i}]`);
      });
    } else if (value && typeof value === "object") {
      if ("Statement" in value) {
        const document = value as PolicyDocument;
        found.push({
          resource,
          path: at,
          document: { ...document, Statement: [document.Statement].flat() },
        });
      } else {
        for (const [key, inner] of Object.entries(value))
          visit(resource, inner, at ? `${at}.${key}` : key);
      }
    }
  };
  for (const resource of app.resources) visit(resource, resource.inputs, "");
  return found;
}

export const isTrustPolicy = (found: FoundPolicy) => found.path === "assumeRolePolicy";

/** The statements of a role's inline policies (what it may do, not who may assume it). */
export function roleStatements(app: Synthesis, roleName: string): Statement[] {
  const role = app.one("aws:iam/role:Role", roleName);
  return (role.inputs.inlinePolicies ?? []).flatMap(
    (p: { policy: string }) => (JSON.parse(p.policy) as PolicyDocument).Statement,
  );
}

/** IAM's wildcard match (`*` any run of characters, `?` one), case-sensitive like ARNs. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replaceAll("*", ".*")
    .replaceAll("?", ".");
  return new RegExp(`^${source}$`).test(value);
}

/** Whether an Allow statement among `statements` grants `action` on `arn` (conditions ignored). */
export function allows(statements: Statement[], action: string, arn: string): boolean {
  return statements.some(
    (s) =>
      s.Effect === "Allow" &&
      list(s.Action).some((a) => wildcardMatch(a, action)) &&
      list(s.Resource).some((r) => wildcardMatch(r, arn)),
  );
}

/** Every physical name the stack gives AWS: `name` inputs, and bucket names. */
export function physicalNames(app: Synthesis): { resource: SynthResource; name: string }[] {
  return app.resources
    .filter((r) => r.type.startsWith("aws:"))
    .flatMap((resource) => {
      const name =
        resource.type === "aws:s3/bucket:Bucket" ? resource.inputs.bucket : resource.inputs.name;
      return typeof name === "string" ? [{ resource, name }] : [];
    });
}

/**
 * How this stage's names look: fixed names end the way core's stageNames() ends the database name
 * (`_prod`), the others carry `<app>-<stage>` (SST lower-cases it in bucket names).
 */
export function stageNaming(app: Synthesis) {
  const { database } = stageNames(app.app.stage);
  const suffix = database.slice(database.indexOf("_"));
  const prefix = `${app.app.name}-${app.app.stage}`.toLowerCase();
  const carriesStage = (name: string) =>
    name.toLowerCase().includes(prefix) || name.endsWith(suffix);
  const fixedNames = physicalNames(app)
    .map((n) => n.name)
    .filter((name) => name.endsWith(suffix));
  /** An ARN (or ARN pattern) that names one of this stage's resources, or only `<app>-<stage>-*` ones. */
  const ownsArn = (arn: string) =>
    arn.toLowerCase().includes(`${prefix}-`) ||
    fixedNames.some((name) => new RegExp(`[:/]${escapeRegExp(name)}(?=$|[:/*])`).test(arn));
  return { suffix, prefix, carriesStage, ownsArn };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Names that live inside a container carrying the stage: saved queries (workgroup), tables (database). */
const NAMESPACED = new Set([
  "aws:athena/namedQuery:NamedQuery",
  "aws:glue/catalogTable:CatalogTable",
]);

/** Physical names that do not carry the stage (so two stages in one account would collide). */
export function unstagedNames(app: Synthesis): string[] {
  const { carriesStage } = stageNaming(app);
  return physicalNames(app)
    .filter(({ resource, name }) => !NAMESPACED.has(resource.type) && !carriesStage(name))
    .map(({ resource, name }) => `${resource.type} ${resource.name}: ${name}`);
}
