/** The lake lock (`_lake.lock`, docs/LAKE-INTEGRITY.md): one writer at a time, a bounded wait naming the holder, a lease renewed while held, takeover of a crashed holder's lock. */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { LakeError } from "./errors.ts";
import type { LakeStorage } from "./storage.ts";

export const lakeLockKey = "_lake.lock";

export interface LakeLockOptions {
  /** Who holds the lock, in words, e.g. `transform of 2020-07-02`. */
  owner: string;
  /** How long to wait for a lock someone else holds; default `DEFAULT_LOCK_WAIT_MS`. */
  waitMs?: number;
  /** How long the lock stays valid without renewal; renewed every `leaseMs / 4` while held. Default 120 s. */
  leaseMs?: number;
  /** The clock for `acquired_at` and `expires_at` and for judging a lock stale (tests move it). */
  now?: () => Date;
  /** Defaults `os.hostname()` and `process.pid`. */
  host?: string;
  pid?: number;
  /** Base poll interval while waiting; each poll waits 0.5 to 1.5 times it, so waiters do not move in step. Default 250 ms. */
  pollMs?: number;
  /** Called once, when the lock is found held and the wait starts. */
  onWait?: (holder: LockInfo) => void;
}

/** The content of `_lake.lock`, in this key order (the Glue job writes the same bytes). */
export interface LockInfo {
  version: 1;
  token: string;
  owner: string;
  host: string;
  pid: number;
  acquired_at: string;
  expires_at: string;
}

export interface LakeLock {
  /** The lock as last written (`expires_at` moves with each renewal). */
  readonly info: LockInfo;
  /** Throws a `LakeError` with code `Locked` unless the lock is still ours: call it before publishing. */
  assertHeld(): Promise<void>;
  /** Stops renewing and deletes the lock if it is still ours; calling it again does nothing. */
  release(): Promise<void>;
}

/** How long a writer waits for another writer's lock unless told otherwise. */
export const DEFAULT_LOCK_WAIT_MS = 60_000;

const defaults = { waitMs: DEFAULT_LOCK_WAIT_MS, leaseMs: 120_000, pollMs: 250 };

/** What a writer that lost its lock must do: its lease may have run out and another writer may be at work. */
const STOP = { remedy: "stop before publishing" } as const;

export async function acquireLakeLock(
  lake: LakeStorage,
  options: LakeLockOptions,
): Promise<LakeLock> {
  const waitMs = options.waitMs ?? defaults.waitMs;
  const leaseMs = options.leaseMs ?? defaults.leaseMs;
  const pollMs = options.pollMs ?? defaults.pollMs;
  const now = options.now ?? (() => new Date());
  const host = options.host ?? hostname();
  const pid = options.pid ?? process.pid;
  const token = randomUUID();
  const lockFor = (at: Date): LockInfo => ({
    version: 1,
    token,
    owner: options.owner,
    host,
    pid,
    acquired_at: at.toISOString(),
    expires_at: new Date(at.getTime() + leaseMs).toISOString(),
  });
  // The deadline runs on the real clock: a test clock moved into the future must not end the wait.
  const deadline = performance.now() + waitMs;
  let waiting = false;
  for (;;) {
    const info = lockFor(now());
    const created = await lake.createIfAbsent(lakeLockKey, encodeLock(info));
    if (created !== "exists") return heldLock(lake, info, created.etag, leaseMs, now);
    const current = await readLock(lake);
    if (current === undefined) continue; // released between our create and read: try again now
    const holder = current.info;
    // Our own create can be answered "exists" when a retried request follows one that landed.
    if (holder?.token === token) return heldLock(lake, holder, current.etag, leaseMs, now);
    if (holder === undefined || isStale(holder, now(), host)) {
      // Whatever the answer, look again: either we removed it, or someone else changed it first.
      await lake.deleteIfMatch(lakeLockKey, current.etag);
      continue;
    }
    const left = deadline - performance.now();
    if (left <= 0) {
      throw new LakeError(
        "Locked",
        `lake locked by ${describe(holder)}; waited ${seconds(waitMs)} s`,
        {
          key: lakeLockKey,
          remedy:
            "wait for it to finish and re-run, or raise the lock wait; " +
            `a crashed holder's lock is taken over after ${holder.expires_at}`,
          settings: ["lockWait"],
        },
      );
    }
    if (!waiting) {
      waiting = true;
      options.onWait?.(holder);
    }
    await sleep(Math.min(left, pollMs * (0.5 + Math.random())));
  }
}

/** Runs `work` holding the lake lock and releases it afterwards, whether `work` succeeded or threw. */
export async function withLakeLock<T>(
  lake: LakeStorage,
  options: LakeLockOptions,
  work: (lock: LakeLock) => Promise<T>,
): Promise<T> {
  const lock = await acquireLakeLock(lake, options);
  let result: T;
  try {
    result = await work(lock);
  } catch (error) {
    await lock.release().catch(() => {}); // the work's error is the one to report
    throw error;
  }
  await lock.release();
  return result;
}

/** A lock we created: renews itself every lease/4 until released or lost. */
function heldLock(
  lake: LakeStorage,
  acquired: LockInfo,
  acquiredEtag: string,
  leaseMs: number,
  now: () => Date,
): LakeLock {
  let info = acquired;
  let etag = acquiredEtag;
  let failure: LakeError | undefined;
  let released = false;
  let timer: NodeJS.Timeout | undefined;
  let renewing: Promise<void> = Promise.resolve();

  const renew = async (): Promise<void> => {
    const next = { ...info, expires_at: new Date(now().getTime() + leaseMs).toISOString() };
    try {
      const result = await lake.replaceIfMatch(lakeLockKey, encodeLock(next), etag);
      if (result === "changed") {
        failure = await lostError(lake, info.token);
        return;
      }
      info = next;
      etag = result.etag;
      schedule();
    } catch (cause) {
      // Renewal stops here: the lease may run out, so the holder must not publish any more.
      failure = new LakeError(
        "Locked",
        `the lake lock could not be renewed (${(cause as Error).message})`,
        { key: lakeLockKey, cause, ...STOP },
      );
    }
  };
  const schedule = (): void => {
    if (released) return;
    timer = setTimeout(() => {
      renewing = renew();
    }, leaseMs / 4);
    timer.unref(); // a forgotten lock must not keep the process alive; its lease runs out instead
  };
  schedule();

  return {
    get info() {
      return info;
    },
    async assertHeld() {
      if (released) {
        throw new LakeError("Locked", "the lake lock was already released", { key: lakeLockKey });
      }
      if (failure !== undefined) throw failure;
      const current = await readLock(lake);
      if (current?.info?.token !== info.token) throw await lostError(lake, info.token, current);
    },
    async release() {
      if (released) return;
      released = true;
      clearTimeout(timer);
      await renewing; // its etag is the one to delete
      if (failure === undefined) await lake.deleteIfMatch(lakeLockKey, etag);
    },
  };
}

type ReadLock = { info: LockInfo | undefined; etag: string };

/** The lock file and its etag (`info` undefined when it does not parse), or undefined when there is none. */
async function readLock(lake: LakeStorage): Promise<ReadLock | undefined> {
  try {
    const { body, etag } = await lake.getWithVersion(lakeLockKey);
    return { info: decodeLock(body), etag };
  } catch (error) {
    if (error instanceof LakeError && error.code === "NotFound") return undefined;
    throw error;
  }
}

async function lostError(
  lake: LakeStorage,
  token: string,
  seen?: ReadLock | undefined,
): Promise<LakeError> {
  const current = seen ?? (await readLock(lake).catch(() => undefined));
  const to =
    current === undefined
      ? ": the lock file was removed"
      : current.info === undefined
        ? ": the lock file was overwritten"
        : current.info.token === token
          ? ""
          : ` to ${describe(current.info)}`;
  return new LakeError("Locked", `the lake lock was lost${to}`, { key: lakeLockKey, ...STOP });
}

/** Stale: its lease ran out, or its holder is a process of this host that no longer exists. */
function isStale(holder: LockInfo, at: Date, host: string): boolean {
  const expires = Date.parse(holder.expires_at);
  if (!(expires >= at.getTime())) return true; // an unparseable time cannot be renewed either
  return holder.host === host && !isAlive(holder.pid);
}

/** Whether process `pid` runs (signal 0 checks without sending anything); a zombie does not. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // it exists, under another user
  }
  // An orphan that exited stays a zombie until some parent reaps it, which in a container may be never.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true; // no /proc (not Linux): signal 0's answer stands
  }
}

function describe(holder: LockInfo): string {
  return `${holder.owner} on host ${holder.host} (pid ${holder.pid}) since ${holder.acquired_at}`;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1).replace(/\.0$/, "");
}

export function encodeLock(info: LockInfo): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(info)}\n`);
}

/** The lock in `body`, or undefined when it is not a version-1 lock (a lock no one can renew, so stale). */
export function decodeLock(body: Uint8Array): LockInfo | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return undefined;
  }
  const lock = value as Partial<LockInfo> | null;
  const valid =
    typeof lock === "object" &&
    lock !== null &&
    lock.version === 1 &&
    typeof lock.token === "string" &&
    typeof lock.owner === "string" &&
    typeof lock.host === "string" &&
    typeof lock.pid === "number" &&
    typeof lock.acquired_at === "string" &&
    typeof lock.expires_at === "string";
  return valid ? (lock as LockInfo) : undefined;
}
