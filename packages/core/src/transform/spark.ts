/** The Spark engine of the local twin: under the lake lock, runs the Glue job itself (glue-scripts/transform.py) on local pyspark from the project's virtualenv. */
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { rawKey } from "../lake/layout.ts";
import { asLakeWriter } from "../lake/publish.ts";
import { TransformError } from "./errors.ts";
import { jobError, sparkFailureCause } from "./spark-failure.ts";
import type { TransformSummary } from "./summary.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

export interface SparkTransformOptions {
  lakeRoot: string;
  ingestionDate: string;
  /** The Python with pyspark; default .venv/bin/python at the repository root. */
  python?: string;
  /** Spark's own log lines go here (default: dropped). */
  onLog?: (line: string) => void;
  /** How long to wait for another writer's lake lock, in ms (the lock module's default otherwise). */
  lockWaitMs?: number;
}

export async function transformWithSpark(
  options: SparkTransformOptions,
): Promise<TransformSummary> {
  const python = options.python ?? join(REPO_ROOT, ".venv", "bin", "python");
  if (!existsSync(python)) {
    throw new TransformError("EngineMissing", `${python} is missing`, {
      remedy: "run bash scripts/setup-python.sh (it installs pyspark), or use the DuckDB engine",
      settings: ["engine"],
    });
  }
  const rawPath = join(options.lakeRoot, rawKey(options.ingestionDate));
  if (!existsSync(rawPath)) {
    throw new TransformError("RawMissing", `raw file ${rawPath} does not exist`, {
      remedy: "run the extract for that date first",
    });
  }
  return asLakeWriter(
    options.lakeRoot,
    { owner: `transform of ${options.ingestionDate}`, lockWaitMs: options.lockWaitMs },
    () => runJob(python, rawPath, options),
  );
}

/** The job itself, told that its caller holds the lake lock. */
async function runJob(
  python: string,
  rawPath: string,
  options: SparkTransformOptions,
): Promise<TransformSummary> {
  const args = [
    join(REPO_ROOT, "glue-scripts", "transform.py"),
    "--raw_path",
    pathToFileURL(rawPath).href,
    "--lake_root",
    pathToFileURL(options.lakeRoot).href,
    "--lake_lock",
    "held",
  ];
  const child = spawn(python, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
    for (const line of chunk.toString().split("\n")) if (line) options.onLog?.(line);
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (c) => resolve(c ?? 1));
  });
  const expected = jobError(stderr);
  if (code !== 0 && expected !== undefined) throw new TransformError("EngineFailed", expected);
  if (code !== 0) {
    // The whole of Spark's stderr goes to a file: the error names its cause, the file has the rest.
    const log = join(tmpdir(), `b3-spark-${options.ingestionDate}-${process.pid}.log`);
    writeFileSync(log, stderr);
    const cause = sparkFailureCause(stderr) ?? `exit ${code}, nothing on stderr`;
    throw new TransformError("EngineFailed", `the Spark job failed: ${cause}`, {
      remedy: `read Spark's log in ${log}`,
    });
  }
  const lastLine = stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(lastLine) as TransformSummary;
}
