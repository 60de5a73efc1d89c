/** The lake a command was pointed at (by --lake or $B3_LAKE): a malformed location is a usage error (exit 2), not a failed write. */
import { UsageError } from "@b3/core/errors";
import { LakeError, type LakeStorage, openLake } from "@b3/core/lake";

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
