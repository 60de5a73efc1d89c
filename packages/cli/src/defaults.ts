/** Defaults of the `b3` command that depend on where it runs. */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file lives in packages/cli/src). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** The version `b3 --version` prints: the repository's own. */
export const VERSION: string = JSON.parse(
  readFileSync(resolve(REPO_ROOT, "package.json"), "utf8"),
).version;

/** `defaultLake`, in words for help. */
export const LAKE_DEFAULT = "$B3_LAKE, or .lake/ at the repository root";
