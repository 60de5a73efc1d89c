/** The lake a command was pointed at (--lake, else $B3_LAKE, else .lake/ at the repository root): a relative folder is taken from where the user stands, a malformed location is a usage error (exit 2), and a lake that must be read has to exist. */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { UsageError } from "@b3/core/errors";
import { LakeError, type LakeStorage, openLake } from "@b3/core/lake";
import type { CliIo } from "./cli-io.ts";
import { REPO_ROOT } from "./defaults.ts";

/** The location as given, a relative folder made absolute against the user's working folder. */
export function lakeLocation(flag: string | undefined, io: CliIo): string {
  const location = flag ?? (io.env.B3_LAKE || resolve(REPO_ROOT, ".lake"));
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location) ? location : resolve(io.cwd, location);
}

export function openLakeArg(location: string): LakeStorage {
  try {
    return openLake(location);
  } catch (error) {
    if (!(error instanceof LakeError)) throw error;
    throw new UsageError("InvalidValue", `--lake ${error.message}`, {
      remedy: error.remedy,
      settings: error.settings,
      cause: error,
    });
  }
}

/** The folder of a local lake; `whyNotS3` is the usage error for an s3:// one. */
export function localLakeRoot(location: string, whyNotS3: string): string {
  const lake = openLakeArg(location);
  if (lake.root.startsWith("s3://")) throw new UsageError("InvalidValue", whyNotS3);
  return lake.root;
}

const MAKE_ONE = {
  remedy:
    "build one first (b3 run, or npm run demo for an offline sample lake in .lake/demo), or point to an existing lake",
  settings: ["lake"],
} as const;

/** The tables' folders; a lake holding none of them has no data yet. */
const TABLE_FOLDERS = ["raw", "refined", "aggregated"] as const;

/**
 * Checks that `root` is a lake to read: a missing folder, or a file, is a usage error (never an empty
 * answer); an existing folder without data is legitimate (a lake before its first run) and gets a
 * warning on stderr.
 */
export function requireLakeFolder(root: string, io: CliIo): void {
  if (!existsSync(root)) {
    throw new UsageError("InvalidValue", `no lake at ${root}: the folder does not exist`, MAKE_ONE);
  }
  if (!statSync(root).isDirectory()) {
    throw new UsageError(
      "InvalidValue",
      `no lake at ${root}: it is a file, not a folder`,
      MAKE_ONE,
    );
  }
  const hasData = TABLE_FOLDERS.some((folder) => {
    const path = join(root, folder);
    return existsSync(path) && readdirSync(path).length > 0;
  });
  if (!hasData) {
    io.stderr.write(
      `warning: the lake at ${root} holds no data yet (nothing in ${TABLE_FOLDERS.join("/, ")}/): every table is empty\n`,
    );
  }
}
