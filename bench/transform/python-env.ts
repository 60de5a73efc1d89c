/**
 * The Python side of the transform benchmark: the project's .venv (made by scripts/setup-python.sh,
 * with pyspark for the Spark engine) plus Polars for the yardstick, which the benchmark installs
 * there itself from bench/requirements.txt when it is missing. Polars is never added to the Glue
 * job's requirements.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../extract/bundle.ts";

export const VENV_PYTHON = join(REPO_ROOT, ".venv", "bin", "python");
export const BENCH_REQUIREMENTS = join(REPO_ROOT, "bench", "requirements.txt");

export interface PythonVersions {
  python: string;
  polars: string;
  pyspark: string | null;
  java: string | null;
}

function python(args: string[]) {
  return spawnSync(VENV_PYTHON, args, { encoding: "utf8", cwd: REPO_ROOT });
}

function importVersion(module: string): string | null {
  const result = python(["-c", `import ${module}; print(${module}.__version__)`]);
  return result.status === 0 ? result.stdout.trim() : null;
}

/** Checks the venv, installs Polars into it when missing, and reports the versions. */
export function ensurePythonEnv(log: (line: string) => void): PythonVersions {
  if (!existsSync(VENV_PYTHON)) {
    throw new Error(`${VENV_PYTHON} is missing: run bash scripts/setup-python.sh first`);
  }
  let polars = importVersion("polars");
  if (polars === null) {
    log(`transform: installing ${BENCH_REQUIREMENTS} into .venv (import polars failed)`);
    const install = python([
      "-m",
      "pip",
      "install",
      "--quiet",
      "--disable-pip-version-check",
      "-r",
      BENCH_REQUIREMENTS,
    ]);
    if (install.status !== 0) {
      throw new Error(`pip install -r bench/requirements.txt failed: ${install.stderr.trim()}`);
    }
    polars = importVersion("polars");
    if (polars === null) throw new Error("polars still does not import after installing it");
  }
  const java = spawnSync("java", ["-version"], { encoding: "utf8" });
  return {
    python: python(["-c", "import platform; print(platform.python_version())"]).stdout.trim(),
    polars,
    pyspark: importVersion("pyspark"),
    java: java.status === 0 ? (java.stderr.split("\n")[0]?.trim() ?? null) : null,
  };
}
