import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";

/**
 * A temporary folder for the tests of one file, made before them (with `each`, before each test,
 * so that no test sees another's files) and removed after them. `.path` is set once it is made.
 */
export function tempFolder(prefix: string, { each = false } = {}): { readonly path: string } {
  const folder = { path: "" };
  (each ? beforeEach : beforeAll)(async () => {
    folder.path = await mkdtemp(join(tmpdir(), prefix));
  });
  (each ? afterEach : afterAll)(() => rm(folder.path, { recursive: true, force: true }));
  return folder;
}
