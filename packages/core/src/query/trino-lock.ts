/** A lock file holding its owner's pid, for the local Trino's install and start-up: one process does them, the others wait and reuse the result. */
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { isAlive } from "../lake/lock.ts";
import { TrinoSetupError } from "./errors.ts";

export interface FileLockOptions {
  /** How long to wait for another live owner before giving up, in ms. */
  waitMs: number;
}

/** Runs `fn` holding the lock file `path`; a lock whose owner process is gone is taken over. */
export async function withFileLock<T>(
  path: string,
  options: FileLockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + options.waitMs;
  const mine = `${process.pid}\n`;
  for (;;) {
    try {
      writeFileSync(path, mine, { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number.parseInt(readOr(path, ""), 10);
    // An unreadable pid is a lock being written right now, unless it has been so for a while.
    const stale = Number.isFinite(owner) ? !isAlive(owner) : ageMs(path) > 5_000;
    if (stale) {
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new TrinoSetupError(
        "Busy",
        `${path} is held by process ${owner}; waited ${options.waitMs / 1000} s`,
        { remedy: "wait for that process to finish, then run again" },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  try {
    return await fn();
  } finally {
    if (readOr(path, "") === mine) rmSync(path, { force: true });
  }
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return fallback;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
