/** A lake in a local folder: keys map to files under `root`; writes go to a temporary file in the same folder and are renamed into place. */
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { LakeError, type LakeStorage } from "./lake-storage.ts";

export function localLake(rootPath: string): LakeStorage {
  const root = resolve(rootPath);
  const pathOf = (key: string): string => {
    const path = resolve(root, key);
    if (path !== root && !path.startsWith(root + sep)) {
      throw new LakeError(
        "InvalidLocation",
        `key ${JSON.stringify(key)} points outside the lake ${root}`,
        { key },
      );
    }
    return path;
  };
  return {
    root,
    uri: pathOf,
    async put(key, body) {
      const path = pathOf(key);
      // Temporary names start with "." so readers globbing *.parquet never see them.
      const tmp = join(dirname(path), `.${randomUUID()}.tmp`);
      try {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(tmp, body);
        await rename(tmp, path);
      } catch (cause) {
        await rm(tmp, { force: true }).catch(() => {}); // the write error matters, not the cleanup's
        throw fsError(cause, key, path, "write");
      }
    },
    async get(key) {
      const path = pathOf(key);
      try {
        return new Uint8Array(await readFile(path));
      } catch (cause) {
        throw fsError(cause, key, path, "read");
      }
    },
    async list(prefix) {
      const keys: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        let entries: import("node:fs").Dirent[];
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch (cause) {
          if ((cause as NodeJS.ErrnoException).code === "ENOENT") return;
          throw fsError(cause, prefix, dir, "list");
        }
        for (const entry of entries) {
          if (entry.name.startsWith(".")) continue;
          const path = join(dir, entry.name);
          if (entry.isDirectory()) await walk(path);
          else keys.push(relative(root, path).split(sep).join("/"));
        }
      };
      // Walk only the folder that holds the prefix, not the whole lake.
      const folder = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
      await walk(pathOf(folder));
      return keys.filter((key) => key.startsWith(prefix)).sort();
    },
  };
}

function fsError(cause: unknown, key: string, path: string, action: string): LakeError {
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === "ENOENT" && action === "read") {
    return new LakeError("NotFound", `${path} does not exist`, { key, cause });
  }
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    return new LakeError(
      "AccessDenied",
      `cannot ${action} ${path} (${code}): check the folder's permissions or choose another --lake`,
      { key, cause },
    );
  }
  return new LakeError("WriteFailed", `cannot ${action} ${path}: ${(cause as Error).message}`, {
    key,
    cause,
  });
}
