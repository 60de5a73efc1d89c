/** Cold module init of a bundled handler: fresh Node processes that import it, as a Lambda cold start does. */
import { spawnSync } from "node:child_process";
import { isAbsolute } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const RUNNER = fileURLToPath(new URL("./cold-init-runner.mjs", import.meta.url));

/** What the handler's module scope needs at import: SST's linked resources and Lambda's usual variables. */
export const LAMBDA_LIKE_ENV: Record<string, string> = {
  AWS_REGION: "us-east-1",
  AWS_DEFAULT_REGION: "us-east-1",
  AWS_LAMBDA_FUNCTION_NAME: "b3_extract_function_bench",
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
  AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
  SST_RESOURCE_App: JSON.stringify({ name: "b3-pipeline", stage: "bench" }),
  SST_RESOURCE_DataLake: JSON.stringify({ name: "b3-bench-datalake", type: "sst.aws.Bucket" }),
};

export interface ColdInitRun {
  /** Process start → bundle evaluated, measured inside the process. */
  sinceProcessStartMs: number;
  /** `await import(bundle)` alone. */
  importMs: number;
  /** CPU time (user + system, all threads) from process start to evaluated: less sensitive to other load than wall time. */
  cpuMs: number;
  /** CommonJS files the import loaded (require.cache) and their size on disk. */
  cjsFiles: number;
  cjsBytes: number;
  /** Spawn → exit, measured by the parent (includes Node's own start-up and teardown). */
  wallMs: number;
  maxRssKiB: number;
}

/** `modules`: absolute file paths, or package names resolved from the repository's node_modules. */
export function measureColdInit(modules: readonly string[], runs: number): ColdInitRun[] {
  const results: ColdInitRun[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const child = spawnSync(
      process.execPath,
      [RUNNER, ...modules.map((m) => (isAbsolute(m) ? pathToFileURL(m).href : m))],
      {
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...LAMBDA_LIKE_ENV },
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (child.status !== 0) {
      throw new Error(
        `cold init run ${i + 1} of ${modules.join(", ")} failed (exit ${child.status}): ${child.stderr || child.error}`,
      );
    }
    const line = child.stdout.trim().split("\n").at(-1) ?? "";
    results.push({ ...(JSON.parse(line) as Omit<ColdInitRun, "wallMs">), wallMs });
  }
  return results;
}
