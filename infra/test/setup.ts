/**
 * Gives the test process the globals the SST CLI gives sst.config.ts when it builds it with esbuild:
 * the shim's exports ($util, $interpolate, $asset, $config, …) and `aws` / `sst` namespaces.
 * `$app` and `$cli` are set per synthesis by synth.ts. Everything comes from `.sst/platform`, so the
 * components and the test share one copy of @pulumi/pulumi and @pulumi/aws.
 */
import { existsSync } from "node:fs";
import path from "node:path";

export const repoRoot = path.resolve(import.meta.dirname, "../..");
export const platformDir = path.join(repoRoot, ".sst/platform");

if (!existsSync(path.join(platformDir, "config.d.ts"))) {
  throw new Error(
    "SST platform missing: run `bash scripts/ensure-sst.sh` first (offline install).",
  );
}

const g = globalThis as Record<string, unknown>;
g.$dev = false;
g.$app = { name: "b3-pipeline", stage: "prod", removal: "retain", protect: true, providers: {} };

const shim = await import(path.join(platformDir, "src/shim/run.js"));
for (const [name, value] of Object.entries(shim)) g[name] = value;
g.aws = await import(path.join(platformDir, "node_modules/@pulumi/aws/index.js"));
g.sst = await import(path.join(platformDir, "src/components/index.ts"));
