/** A lake in a local folder: keys map to files under `root`; writes go to a temporary file in the same folder and are renamed into place. */
import { createHash, randomUUID } from "node:crypto";
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { LakeError } from "./errors.ts";
import type { LakeStorage } from "./storage.ts";

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
      // Deleters take turns through a guard file created exclusively: two takers of one stale
      // lock can then never both remove a version and both create their own.
      const guard = join(dirname(path), `.${basename(path)}.guard`);
      try {
        if (!(await takeGuard(guard))) return "changed";
        try {
          let body: Uint8Array;
          try {
            body = new Uint8Array(await readFile(path));
          } catch (cause) {
            if ((cause as NodeJS.ErrnoException).code === "ENOENT") return "changed";
            throw cause;
          }
          if (etagOf(body) !== etag) return "changed";
          await rm(path);
          return "deleted";
        } finally {
          await rm(guard, { force: true });
        }
      } catch (cause) {
        throw fsError(cause, key, path, "delete");
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

/** A guard is held for one read and one unlink; one older than this was left by a crashed process. */
const STALE_GUARD_MS = 10_000;

/** Creates `guard` exclusively; false while another process holds it. */
async function takeGuard(guard: string): Promise<boolean> {
  try {
    await writeFile(guard, `${process.pid}\n`, { flag: "wx" });
    return true;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== "EEXIST") throw cause;
    const since = await stat(guard).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (since < STALE_GUARD_MS) return false;
    await rm(guard, { force: true });
    return takeGuard(guard);
  }
}

function fsError(cause: unknown, key: string, path: string, action: string): LakeError {
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === "ENOENT" && action === "read") {
    return new LakeError("NotFound", `${path} does not exist`, { key, cause });
  }
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    return new LakeError("AccessDenied", `cannot ${action} ${path} (${code})`, {
      key,
      cause,
      remedy: "check the folder's permissions or choose another lake",
      settings: ["lake"],
    });
  }
  return new LakeError("WriteFailed", `cannot ${action} ${path}: ${(cause as Error).message}`, {
    key,
    cause,
  });
}
