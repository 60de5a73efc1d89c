/**
 * Vitest globalSetup: one folder for the local Trino of this test run, at `inject("trinoRunDir")` and
 * `process.env.B3_TRINO_RUN_DIR`. The first test that needs Trino starts it there (so a run of other
 * test files never pays for it); it is stopped when the run ends.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { stopTrinoServer } from "../../core/src/query/trino-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    trinoRunDir: string;
  }
}

export default function setup({ provide }: TestProject): () => Promise<void> {
  const runDir = mkdtempSync(join(tmpdir(), "b3-trino-run-"));
  provide("trinoRunDir", runDir);
  const previous = process.env.B3_TRINO_RUN_DIR;
  process.env.B3_TRINO_RUN_DIR = runDir;
  return async () => {
    if (previous === undefined) delete process.env.B3_TRINO_RUN_DIR;
    else process.env.B3_TRINO_RUN_DIR = previous;
    await stopTrinoServer(runDir);
    rmSync(runDir, { recursive: true, force: true });
  };
}
