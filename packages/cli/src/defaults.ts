/** Defaults of the `b3` command that depend on where it runs. */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file lives in packages/cli/src). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** `$B3_LAKE`, or `.lake/` at the repository root. */
export function defaultLake(env: NodeJS.ProcessEnv): string {
  return env.B3_LAKE || resolve(REPO_ROOT, ".lake");
}
