/** A lake in a local folder: keys map to files under `root`; writes go to a temporary file in the same folder and are renamed into place. */
import { createHash, randomUUID } from "node:crypto";
import { link, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { LakeError, type LakeStorage } from "./storage.ts";

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
  // Temporary names start with "." so readers globbing *.parquet never see them.
  const tmpBeside = (path: string): string => join(dirname(path), `.${randomUUID()}.tmp`);
  /** Writes `body` to a fresh temporary file beside `key`'s path, then hands both paths to `place`. */
  const viaTmp = async <T>(
    key: string,
    body: Uint8Array,
    place: (tmp: string, path: string) => Promise<T>,
  ): Promise<T> => {
    const path = pathOf(key);
    const tmp = tmpBeside(path);
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(tmp, body);
      return await place(tmp, path);
    } catch (cause) {
      throw fsError(cause, key, path, "write");
    } finally {
      await rm(tmp, { force: true }).catch(() => {}); // the write's outcome matters, not the cleanup's
    }
  };
  const getWithVersion = async (key: string): Promise<{ body: Uint8Array; etag: string }> => {
    const path = pathOf(key);
    try {
      const body = new Uint8Array(await readFile(path));
      return { body, etag: etagOf(body) };
    } catch (cause) {
      throw fsError(cause, key, path, "read");
    }
  };
  /** The current etag of `key`, or undefined when it does not exist. */
  const etagNow = async (key: string): Promise<string | undefined> =>
    getWithVersion(key).then(
      (found) => found.etag,
      (error: unknown) => {
        if (error instanceof LakeError && error.code === "NotFound") return undefined;
        throw error;
      },
    );
  return {
    root,
    uri: pathOf,
    async put(key, body) {
      await viaTmp(key, body, (tmp, path) => rename(tmp, path));
    },
    async get(key) {
      return (await getWithVersion(key)).body;
    },
    getWithVersion,
    // link() fails with EEXIST when the name is taken, atomically: the folder's create-if-absent.
    // The file is written whole first, so a reader never sees a partial one.
    createIfAbsent: (key, body) =>
      viaTmp(key, body, async (tmp, path) => {
        try {
          await link(tmp, path);
          return { etag: etagOf(body) };
        } catch (cause) {
          if ((cause as NodeJS.ErrnoException).code === "EEXIST") return "exists";
          throw cause;
        }
      }),
    // A folder has no compare-and-swap: check, then rename. Callers use it only on an object that
    // no one else may write meanwhile (a lock renewed by its holder before it expires).
    async replaceIfMatch(key, body, etag) {
      if ((await etagNow(key)) !== etag) return "changed";
      return viaTmp(key, body, async (tmp, path) => {
        await rename(tmp, path);
        return { etag: etagOf(body) };
      });
    },
    // Moving the file aside is atomic, so of concurrent deleters only one gets the version it
    // checks; a version it did not expect is linked back (unless a new one was created meanwhile).
    async deleteIfMatch(key, etag) {
      const path = pathOf(key);
      const aside = tmpBeside(path);
      try {
        try {
          await rename(path, aside);
        } catch (cause) {
          if ((cause as NodeJS.ErrnoException).code === "ENOENT") return "changed";
          throw cause;
        }
        let matches = false;
        try {
          matches = etagOf(new Uint8Array(await readFile(aside))) === etag;
        } finally {
          if (!matches) {
            await link(aside, path).catch((cause: NodeJS.ErrnoException) => {
              if (cause.code !== "EEXIST") throw cause;
            });
          }
        }
        return matches ? "deleted" : "changed";
      } catch (cause) {
        throw fsError(cause, key, path, "delete");
      } finally {
        await rm(aside, { force: true }).catch(() => {});
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

/** A folder's etag is a hash of the content: it changes exactly when the content does. */
function etagOf(body: Uint8Array): string {
  return createHash("sha256").update(body).digest("hex");
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
