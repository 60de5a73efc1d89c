/**
 * Synthesizes the whole SST app offline, the way `sst deploy` would run it, but with Pulumi mocks
 * instead of a cloud:
 * - `$app` comes from sst.config.ts's own app() for the requested stage; `$cli` points at the repo;
 * - a local HTTP server answers the CLI calls components make while constructed (`/rpc`:
 *   Runtime.Build with a stub bundle, Provider.Aws.Bootstrap with fake bucket names) and records them;
 * - mocked invokes answer getPolicyDocument (rendered to IAM JSON like the provider does),
 *   getRegion, getPartition and getCallerIdentity; any other invoke fails the synthesis;
 * - SST's own run() wrapper (src/auto/run.ts) runs the program, so its transformations apply
 *   (retain on delete, one bucket policy per bucket, unique linkable names, link refs).
 * Waits until no new resource shows up, then returns every resource with its resolved inputs.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { platformDir, repoRoot } from "./setup";

export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";

// biome-ignore lint/suspicious/noExplicitAny: resolved provider inputs are untyped JSON, read freely by tests
export type Inputs = Record<string, any>;

export interface SynthResource {
  type: string;
  name: string;
  inputs: Inputs;
  /** Logical name of the parent resource, when not the stack. */
  parent?: string;
  retainOnDelete?: boolean;
}

export interface BuildCall {
  functionID: string;
  handler: string;
  runtime: string;
  links: Record<string, Record<string, unknown>>;
  properties: Record<string, unknown>;
}

export interface LinkRef {
  target: string;
  properties: Record<string, unknown>;
}

export interface Synthesis {
  app: {
    name: string;
    stage: string;
    removal: string;
    protect: boolean;
    providers: Record<string, unknown>;
  };
  outputs: Record<string, unknown>;
  resources: SynthResource[];
  builds: BuildCall[];
  linkRefs: LinkRef[];
  invokes: string[];
  errors: string[];
  /** Every `$asset(path)` the app asked for, and whether the file exists in the repository. */
  assets: { path: string; exists: boolean }[];
  ofType(type: string): SynthResource[];
  one(type: string, name: string): SynthResource;
}

export interface SynthOptions {
  stage: string;
  env?: Record<string, string | undefined>;
}

export async function synthesize(options: SynthOptions): Promise<Synthesis> {
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }

  // biome-ignore lint/suspicious/noExplicitAny: the globals the SST CLI defines ($app, $cli, $asset, $util)
  const g = globalThis as Record<string, any>;
  const work = mkdtempSync(path.join(os.tmpdir(), "b3-infra-synth-"));
  const config = (await import("../../sst.config")).default as {
    app(input: { stage: string }): {
      name: string;
      removal: string;
      protect: boolean;
      providers?: Record<string, unknown>;
    };
    run(): Promise<Record<string, unknown>>;
  };
  const appConfig = config.app({ stage: options.stage });
  const app = {
    name: appConfig.name,
    stage: options.stage,
    removal: appConfig.removal,
    protect: appConfig.protect,
    providers: appConfig.providers ?? {},
  };
  g.$app = app;
  g.$cli = {
    command: "deploy",
    rpc: "",
    paths: { home: path.join(work, "home"), root: repoRoot, work, platform: platformDir },
    state: { version: {} },
  };

  const errors: string[] = [];
  // Files that other people are still writing (the Glue script) must not stop the synthesis:
  // a missing asset is recorded (a test fails on it) and replaced by a placeholder.
  const assets: { path: string; exists: boolean }[] = [];
  const realAsset = g.__realAsset ?? g.$asset;
  g.__realAsset = realAsset;
  g.$asset = (assetPath: string) => {
    const exists = existsSync(path.resolve(repoRoot, assetPath));
    assets.push({ path: assetPath, exists });
    return exists ? realAsset(assetPath) : new g.$util.asset.StringAsset(`missing: ${assetPath}`);
  };
  const builds: BuildCall[] = [];
  const server = await startRpcServer(work, builds, errors);
  process.env.SST_SERVER = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const onRejection = (reason: unknown) => errors.push(`unhandled rejection: ${String(reason)}`);
  process.on("unhandledRejection", onRejection);

  const pulumi = g.$util as typeof $util;
  const resources: SynthResource[] = [];
  const byKey = new Map<string, SynthResource>();
  const invokes: string[] = [];
  const linkRefs: LinkRef[] = [];

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const key = `${args.type}::${args.name}`;
        const record = byKey.get(key) ?? { type: args.type, name: args.name, inputs: {} };
        record.inputs = args.inputs;
        if (!byKey.has(key)) {
          byKey.set(key, record);
          resources.push(record);
        }
        return {
          id: `${args.name}-id`,
          state: { ...args.inputs, ...mockState(args.type, args.name, args.inputs) },
        };
      },
      call(args) {
        invokes.push(args.token);
        const result = mockInvoke(args.token, args.inputs);
        if (!result) {
          errors.push(`unexpected invoke ${args.token}`);
          throw new Error(`unexpected invoke ${args.token}`);
        }
        return result;
      },
    },
    app.name,
    app.stage,
    false,
  );

  const { run } = (await import(path.join(platformDir, "src/auto/run.ts"))) as {
    run(program: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>>;
  };

  let outputs: Record<string, unknown> = {};
  try {
    await pulumi.runtime.runInPulumiStack(async () => {
      const result = await run(async () => {
        // Registered after SST's own transformations, so it sees their effect (retainOnDelete).
        pulumi.runtime.registerStackTransformation((args) => {
          const key = `${args.type}::${args.name}`;
          const record: SynthResource = byKey.get(key) ?? {
            type: args.type,
            name: args.name,
            inputs: {},
          };
          record.parent = (args.opts.parent as { __name?: string } | undefined)?.__name;
          record.retainOnDelete = args.opts.retainOnDelete;
          if (!byKey.has(key)) {
            byKey.set(key, record);
            resources.push(record);
          }
          if (args.type === "sst:sst:LinkRef") {
            const target = args.name.replace(/LinkRef$/, "");
            pulumi.output(args.props.properties).apply((properties: Record<string, unknown>) => {
              linkRefs.push({ target, properties });
            });
          }
          return undefined;
        });
        return config.run();
      });
      outputs = (await resolveDeep(pulumi, result)) as Record<string, unknown>;
      return result;
    });

    // Components create many resources inside apply(): wait until the count stops growing.
    let seen = -1;
    while (seen !== resources.length + linkRefs.length) {
      seen = resources.length + linkRefs.length;
      // Not in the typings, but exported by @pulumi/pulumi: resolves when pending RPCs are done.
      await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    server.close();
    rmSync(work, { recursive: true, force: true });
    process.off("unhandledRejection", onRejection);
  }

  return {
    app,
    outputs,
    resources,
    builds,
    linkRefs,
    invokes,
    errors,
    assets,
    ofType: (type) => resources.filter((r) => r.type === type),
    one(type, name) {
      const found = resources.filter((r) => r.type === type && r.name === name);
      if (found.length !== 1) {
        const names = resources.filter((r) => r.type === type).map((r) => r.name);
        throw new Error(
          `expected one ${type} named ${name}, found ${found.length} (have: ${names.join(", ")})`,
        );
      }
      return found[0] as SynthResource;
    },
  };
}

async function resolveDeep(pulumi: typeof $util, value: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve) => pulumi.output(value).apply((v: unknown) => resolve(v)));
}

/** Plausible provider outputs (ARNs, names) so that interpolations resolve to checkable strings. */
function mockState(type: string, name: string, inputs: Inputs): Inputs {
  const physical: string = inputs.name ?? name;
  const regional = (service: string, resource: string) =>
    `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  switch (type) {
    case "aws:s3/bucket:Bucket": {
      const bucket: string = inputs.bucket ?? name.toLowerCase();
      return {
        bucket,
        arn: `arn:aws:s3:::${bucket}`,
        bucketDomainName: `${bucket}.s3.amazonaws.com`,
      };
    }
    case "aws:lambda/function:Function": {
      const arn = regional("lambda", `function:${physical}`);
      return {
        name: physical,
        arn,
        qualifiedArn: `${arn}:$LATEST`,
        invokeArn: `${arn}/invocations`,
        version: "$LATEST",
      };
    }
    case "aws:iam/role:Role":
      return { name: physical, arn: `arn:aws:iam::${ACCOUNT}:role/${physical}` };
    case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
      return {
        arn: `arn:aws:iam::${ACCOUNT}:oidc-provider/${String(inputs.url).replace(/^https:\/\//, "")}`,
      };
    case "aws:sqs/queue:Queue":
      return {
        name: physical,
        arn: regional("sqs", physical),
        url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${physical}`,
      };
    case "aws:sns/topic:Topic":
      return { name: physical, arn: regional("sns", physical) };
    case "aws:glue/job:Job":
      return { name: physical, arn: regional("glue", `job/${physical}`) };
    case "aws:glue/catalogDatabase:CatalogDatabase":
      return { name: physical, arn: regional("glue", `database/${physical}`) };
    case "aws:cloudwatch/eventRule:EventRule":
      return { name: physical, arn: regional("events", `rule/${physical}`) };
    case "aws:cloudwatch/metricAlarm:MetricAlarm":
      return { name: physical, arn: regional("cloudwatch", `alarm:${physical}`) };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { name: physical, arn: regional("logs", `log-group:${physical}`) };
    case "aws:scheduler/schedule:Schedule":
      return { name: physical, arn: regional("scheduler", `schedule/default/${physical}`) };
    case "aws:athena/workgroup:Workgroup":
      return { name: physical, arn: regional("athena", `workgroup/${physical}`) };
    case "random:index/randomBytes:RandomBytes":
      return { base64: Buffer.alloc(32, 1).toString("base64"), hex: "01".repeat(32) };
    default:
      return { name: physical, arn: regional(type.split(/[:/]/)[1] ?? "unknown", physical) };
  }
}

function mockInvoke(token: string, inputs: Inputs): Inputs | undefined {
  switch (token) {
    case "aws:iam/getPolicyDocument:getPolicyDocument":
      return { ...inputs, id: "policy", json: JSON.stringify(renderPolicy(inputs)) };
    case "aws:index/getRegion:getRegion":
      return {
        id: REGION,
        name: REGION,
        region: REGION,
        description: "US East (N. Virginia)",
        endpoint: `ec2.${REGION}.amazonaws.com`,
      };
    case "aws:index/getPartition:getPartition":
      return {
        id: "aws",
        partition: "aws",
        dnsSuffix: "amazonaws.com",
        reverseDnsPrefix: "com.amazonaws",
      };
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        id: ACCOUNT,
        accountId: ACCOUNT,
        arn: `arn:aws:iam::${ACCOUNT}:user/ci`,
        userId: "AIDATEST",
      };
    default:
      return undefined;
  }
}

/** What aws.iam.getPolicyDocument renders (lists kept as lists; the walker accepts both forms). */
export function renderPolicy(inputs: Inputs) {
  return {
    Version: inputs.version ?? "2012-10-17",
    Statement: (inputs.statements ?? []).map((s: Inputs) => {
      const out: Inputs = {};
      if (s.sid) out.Sid = s.sid;
      out.Effect = s.effect ?? "Allow";
      if (s.actions) out.Action = s.actions;
      if (s.notActions) out.NotAction = s.notActions;
      if (s.resources) out.Resource = s.resources;
      if (s.notResources) out.NotResource = s.notResources;
      if (s.principals) out.Principal = renderPrincipals(s.principals);
      if (s.notPrincipals) out.NotPrincipal = renderPrincipals(s.notPrincipals);
      if (s.conditions?.length) {
        out.Condition = {};
        for (const c of s.conditions) {
          out.Condition[c.test] ??= {};
          out.Condition[c.test][c.variable] = c.values;
        }
      }
      return out;
    }),
  };
}

function renderPrincipals(principals: { type: string; identifiers: string[] }[]) {
  if (principals.length === 1 && principals[0]?.type === "*") return "*";
  return Object.fromEntries(principals.map((p) => [p.type, p.identifiers]));
}

/**
 * SST derives a link's `type` from the resource URN. Pulumi's mock monitor (unlike the engine) puts
 * the root stack's type in the URN of top-level resources: drop it to get what a deploy would see.
 */
function withoutMockStackType(links: Record<string, Record<string, unknown>>) {
  return Object.fromEntries(
    Object.entries(links).map(([name, properties]) => [
      name,
      { ...properties, type: String(properties.type).replace(/^pulumi\.pulumi\.Stack\$/, "") },
    ]),
  );
}

/** Answers the SST CLI's JSON-RPC calls; Runtime.Build returns a folder holding a stub handler. */
function startRpcServer(work: string, builds: BuildCall[], errors: string[]): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const { method, params } = JSON.parse(body) as { method: string; params: Inputs[] };
      const input = params[0] ?? {};
      const reply = (payload: unknown) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(payload));
      };
      if (method === "Runtime.Build") {
        builds.push({
          functionID: input.functionID,
          handler: input.handler,
          runtime: input.runtime,
          links: withoutMockStackType(input.links ?? {}),
          properties: input.properties ?? {},
        });
        const out = path.join(work, "artifacts", `${input.functionID}-src`);
        const handler = String(input.handler);
        const file = path.join(out, `${handler.slice(0, handler.lastIndexOf("."))}.mjs`);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, "export const handler = async () => {};\n");
        return reply({ result: { handler, out, errors: [], sourcemaps: [] }, error: null });
      }
      if (method === "Provider.Aws.Bootstrap") {
        return reply({
          result: {
            asset: "sst-asset-test",
            assetEcrRegistryId: ACCOUNT,
            assetEcrUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/sst-asset`,
            state: "sst-state-test",
            appsyncHttp: "",
            appsyncRealtime: "",
          },
          error: null,
        });
      }
      errors.push(`unexpected CLI call ${method}`);
      return reply({ result: null, error: `rpc: can't find method ${method}` });
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
