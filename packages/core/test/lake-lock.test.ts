import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { LakeError } from "../src/lake/errors.ts";
import { localLake } from "../src/lake/local-lake.ts";
import {
  acquireLakeLock,
  decodeLock,
  type LakeLock,
  type LakeLockOptions,
  lakeLockKey,
  withLakeLock,
} from "../src/lake/lock.ts";
import { createS3Client, s3Lake } from "../src/lake/s3-lake.ts";
import type { LakeStorage } from "../src/lake/storage.ts";
import { lakeErrorOf } from "./lake-error-of.ts";
import { freshBucket, motoEndpoint, motoS3 } from "./moto-s3.ts";

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const lakes: [string, () => Promise<LakeStorage>][] = [
  [
    "folder lake",
    async () => {
      const root = await mkdtemp(join(tmpdir(), "b3-lake-lock-"));
      cleanups.push(() => rm(root, { recursive: true, force: true }));
      return localLake(root);
    },
  ],
  ["S3 lake", async () => s3Lake({ bucket: await freshBucket(), prefix: "lake", client: motoS3 })],
];

/** Fast polls: every test waits well under a second. */
const quick = { pollMs: 10 } satisfies Partial<LakeLockOptions>;

/** The pid of a process that existed and has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((done) => child.once("exit", done));
  if (child.pid === undefined) throw new Error("could not start a child process");
  return child.pid;
}

describe.each(lakes)("lake lock on a %s", (_, makeLake) => {
  /** A fresh lake whose lock "old" took on host "box" at `start`: the holder that later clocks find. */
  const heldByOld = async (start: Date) => {
    const lake = await makeLake();
    return {
      lake,
      old: await acquireLakeLock(lake, { owner: "old", host: "box", now: () => start }),
    };
  };

  it("writes the documented JSON at _lake.lock while held and deletes it on release", async () => {
    const lake = await makeLake();
    const at = new Date("2026-12-03T12:00:00.000Z");
    const lock = await acquireLakeLock(lake, {
      owner: "transform of 2020-07-02",
      host: "box",
      pid: 4242,
      now: () => at,
    });

    const { body } = await lake.getWithVersion(lakeLockKey);
    const text = new TextDecoder().decode(body);
    expect(text).toBe(
      `{"version":1,"token":"${lock.info.token}","owner":"transform of 2020-07-02","host":"box","pid":4242,` +
        `"acquired_at":"2026-12-03T12:00:00.000Z","expires_at":"2026-12-03T12:02:00.000Z"}\n`,
    );
    expect(lock.info.token).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(decodeLock(body)).toEqual(lock.info);
    await lock.assertHeld();

    await lock.release();
    await lock.release(); // a second release does nothing
    expect((await lakeErrorOf(lake.getWithVersion(lakeLockKey))).code).toBe("NotFound");
    expect((await lakeErrorOf(lock.assertHeld())).message).toBe(
      "the lake lock was already released",
    );
  });

  it("makes a second writer wait, then fail naming the holder, with nothing written", async () => {
    const lake = await makeLake();
    const holder = await acquireLakeLock(lake, {
      owner: "transform of 2020-07-02",
      host: "box",
      pid: 4242,
    });
    const before = await lake.getWithVersion(lakeLockKey);
    const waitedFor: string[] = [];
    const started = performance.now();

    const error = await lakeErrorOf(
      acquireLakeLock(lake, {
        owner: "extract of 2020-07-03",
        waitMs: 300,
        ...quick,
        onWait: (info) => waitedFor.push(info.token),
      }),
    );

    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(error.code).toBe("Locked");
    expect(error.message).toBe(
      `lake locked by transform of 2020-07-02 on host box (pid 4242) since ${holder.info.acquired_at}; waited 0.3 s`,
    );
    expect(error.remedy).toBe(
      "wait for it to finish and re-run, or raise the lock wait; " +
        `a crashed holder's lock is taken over after ${holder.info.expires_at}`,
    );
    expect(error.settings).toEqual(["lockWait"]);
    expect(waitedFor).toEqual([holder.info.token]); // once, not once per poll
    expect((await lake.getWithVersion(lakeLockKey)).etag).toBe(before.etag);
    await holder.assertHeld();
    await holder.release();
  });

  it("waits like any other writer when the same process asks again", async () => {
    const lake = await makeLake();
    const first = await acquireLakeLock(lake, { owner: "first" });
    const error = await lakeErrorOf(
      acquireLakeLock(lake, { owner: "second", waitMs: 50, ...quick }),
    );
    expect(error.message).toMatch(
      new RegExp(`^lake locked by first on host ${hostname()} \\(pid ${process.pid}\\) since `),
    );
    await first.release();
  });

  it("hands the lock to a waiting writer once the holder releases it", async () => {
    const lake = await makeLake();
    const first = await acquireLakeLock(lake, { owner: "first" });
    let release: Promise<void> | undefined;
    const second = await acquireLakeLock(lake, {
      owner: "second",
      waitMs: 10_000,
      ...quick,
      onWait: () => {
        release = first.release();
      },
    });
    await release;
    expect(release).toBeDefined();
    expect(second.info.token).not.toBe(first.info.token);
    expect(decodeLock((await lake.getWithVersion(lakeLockKey)).body)?.owner).toBe("second");
    await second.assertHeld();
    await second.release();
  });

  it("takes over a lock whose lease ran out; the old holder finds it lost and leaves it alone", async () => {
    const start = new Date("2026-12-03T12:00:00.000Z");
    const { lake, old } = await heldByOld(start);
    const later = new Date(start.getTime() + 120_001);
    const taker = await acquireLakeLock(lake, { owner: "new", waitMs: 0, now: () => later });

    expect(taker.info.acquired_at).toBe(later.toISOString());
    const lost = await lakeErrorOf(old.assertHeld());
    expect(lost.code).toBe("Locked");
    expect(lost.message).toBe(
      `the lake lock was lost to new on host ${hostname()} (pid ${process.pid}) since ${later.toISOString()}`,
    );
    expect(lost.remedy).toBe("stop before publishing");
    await old.release(); // must not delete the new holder's lock
    await taker.assertHeld();
    await taker.release();
  });

  it("does not take over a lock whose lease has not run out", async () => {
    const start = new Date("2026-12-03T12:00:00.000Z");
    const { lake, old: holder } = await heldByOld(start);
    const error = await lakeErrorOf(
      acquireLakeLock(lake, {
        owner: "new",
        waitMs: 0,
        now: () => new Date(start.getTime() + 119_000),
      }),
    );
    expect(error.message).toMatch(/^lake locked by old on host box/);
    await holder.release();
  });

  it("takes over the lock of a process of this host that is gone, not one of another host", async () => {
    const lake = await makeLake();
    const pid = await deadPid();
    const elsewhere = await acquireLakeLock(lake, { owner: "crashed", host: "elsewhere", pid });
    const error = await lakeErrorOf(acquireLakeLock(lake, { owner: "next", waitMs: 0 }));
    expect(error.message).toMatch(/^lake locked by crashed on host elsewhere/);
    await elsewhere.release();

    const crashed = await acquireLakeLock(lake, { owner: "crashed", pid });
    const next = await acquireLakeLock(lake, { owner: "next", waitMs: 0 });
    expect((await lakeErrorOf(crashed.assertHeld())).message).toMatch(
      /^the lake lock was lost to next /,
    );
    await next.release();
  });

  it("takes over a lock file that is not a lock", async () => {
    const lake = await makeLake();
    await lake.put(lakeLockKey, new TextEncoder().encode("not json"));
    const lock = await acquireLakeLock(lake, { owner: "next", waitMs: 0 });
    await lock.assertHeld();
    await lock.release();
  });

  it("renews the lease while held, and a renewal that finds the lock taken over stops", async () => {
    const lake = await makeLake();
    let clock = new Date("2026-12-03T12:00:00.000Z").getTime();
    const leaseMs = 2_000; // renewed every 500 ms
    const lock = await acquireLakeLock(lake, {
      owner: "renewing",
      leaseMs,
      now: () => new Date(clock),
    });
    clock += 60_000;
    const expiresOnFile = async () =>
      decodeLock((await lake.getWithVersion(lakeLockKey)).body)?.expires_at;
    await expect.poll(expiresOnFile).toBe(new Date(clock + leaseMs).toISOString());
    expect(lock.info.expires_at).toBe(new Date(clock + leaseMs).toISOString());
    expect(lock.info.acquired_at).toBe("2026-12-03T12:00:00.000Z");
    await lock.assertHeld();

    // Right after a renewal (so none is in flight), a writer whose clock is past the lease takes
    // the lock over; the holder's next renewal must find it changed and leave it alone.
    const taker = await acquireLakeLock(lake, {
      owner: "taker",
      host: "box",
      waitMs: 0,
      now: () => new Date(clock + leaseMs + 1),
    });
    await sleep(700);
    expect(decodeLock((await lake.getWithVersion(lakeLockKey)).body)?.token).toBe(taker.info.token);
    expect((await lakeErrorOf(lock.assertHeld())).message).toMatch(
      /^the lake lock was lost to taker on host box /,
    );
    await lock.release();
    await taker.assertHeld();
    await taker.release();
  });

  it("fails assertHeld after a renewal that could not be written", async () => {
    const lake = await makeLake();
    const failing: LakeStorage = {
      ...lake,
      replaceIfMatch: () => Promise.reject(new LakeError("Unreachable", "S3 did not answer")),
    };
    const lock = await acquireLakeLock(failing, { owner: "renewing", leaseMs: 40 });
    const deadline = performance.now() + 5_000;
    const untilRenewalFails = async (): Promise<void> => {
      while (performance.now() < deadline) {
        await lock.assertHeld();
        await sleep(10);
      }
    };
    const error = await lakeErrorOf(untilRenewalFails());
    expect(error.code).toBe("Locked");
    expect(error.message).toBe("the lake lock could not be renewed (S3 did not answer)");
    expect(error.remedy).toBe("stop before publishing");
    await lock.release();
  });

  it("withLakeLock releases the lock after the work, whether it succeeds or throws", async () => {
    const lake = await makeLake();
    expect(await withLakeLock(lake, { owner: "ok" }, async (lock) => lock.info.owner)).toBe("ok");
    await expect(
      withLakeLock(lake, { owner: "fails" }, async () => {
        throw new Error("work failed");
      }),
    ).rejects.toThrow("work failed");
    expect((await lakeErrorOf(lake.getWithVersion(lakeLockKey))).code).toBe("NotFound");
  });

  it("lets one of many concurrent writers hold the lock at any moment", async () => {
    const lake = await makeLake();
    let holders = 0;
    let mostAtOnce = 0;
    const order: string[] = [];
    const writer = async (name: string): Promise<void> => {
      for (let round = 0; round < 3; round++) {
        await withLakeLock(lake, { owner: name, waitMs: 20_000, ...quick }, async (lock) => {
          holders++;
          mostAtOnce = Math.max(mostAtOnce, holders);
          order.push(name);
          await sleep(Math.random() * 10);
          await lock.assertHeld();
          holders--;
        });
      }
    };
    await Promise.all(Array.from({ length: 5 }, (_, i) => writer(`writer ${i}`)));
    expect(mostAtOnce).toBe(1);
    expect(order).toHaveLength(15);
  });

  it("lets exactly one of many writers take over one stale lock", async () => {
    const lake = await makeLake();
    const past = new Date(Date.now() - 10 * 60_000);
    await acquireLakeLock(lake, { owner: "crashed", host: "elsewhere", now: () => past });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        acquireLakeLock(lake, { owner: `taker ${i}`, waitMs: 0 }),
      ),
    );
    const winners = results.filter(
      (r): r is PromiseFulfilledResult<LakeLock> => r.status === "fulfilled",
    );
    expect(winners).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") expect((r.reason as LakeError).code).toBe("Locked");
    }
    await winners[0]?.value.assertHeld();
    await winners[0]?.value.release();
  });
});

describe("conditional writes", () => {
  it.each(lakes)("answer by version on a %s", async (_, makeLake) => {
    const lake = await makeLake();
    const bytes = (s: string) => new TextEncoder().encode(s);
    const created = await lake.createIfAbsent("_x.json", bytes("one"));
    if (created === "exists") throw new Error("expected the create to win");
    expect(await lake.createIfAbsent("_x.json", bytes("two"))).toBe("exists");
    const read = await lake.getWithVersion("_x.json");
    expect(read.etag).toBe(created.etag);
    expect(new TextDecoder().decode(read.body)).toBe("one");

    const replaced = await lake.replaceIfMatch("_x.json", bytes("three"), created.etag);
    if (replaced === "changed") throw new Error("expected the replace to win");
    expect(replaced.etag).not.toBe(created.etag);
    expect(await lake.replaceIfMatch("_x.json", bytes("four"), created.etag)).toBe("changed");
    expect(await lake.deleteIfMatch("_x.json", created.etag)).toBe("changed");
    expect(new TextDecoder().decode(await lake.get("_x.json"))).toBe("three");

    expect(await lake.deleteIfMatch("_x.json", replaced.etag)).toBe("deleted");
    expect(await lake.deleteIfMatch("_x.json", replaced.etag)).toBe("changed");
    expect(await lake.replaceIfMatch("_x.json", bytes("five"), replaced.etag)).toBe("changed");
    expect(await lake.list("")).toEqual([]);
  });

  it("fall back to compare-then-delete on a store that rejects a conditional delete", async () => {
    const bucket = await freshBucket();
    const noConditionalDelete = createS3Client({ endpoint: motoEndpoint });
    // Answer as a store without conditional deletes does, before the request leaves.
    noConditionalDelete.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { IfMatch?: string };
        if (context.commandName === "DeleteObjectCommand" && input.IfMatch !== undefined) {
          throw Object.assign(
            new Error("A header you provided implies functionality that is not implemented"),
            {
              name: "NotImplemented",
              $metadata: { httpStatusCode: 501 },
            },
          );
        }
        return next(args);
      },
      { step: "initialize" },
    );
    const lake = s3Lake({ bucket, client: noConditionalDelete });
    const created = await lake.createIfAbsent("_x.json", new TextEncoder().encode("one"));
    if (created === "exists") throw new Error("expected the create to win");
    expect(await lake.deleteIfMatch("_x.json", '"not-it"')).toBe("changed");
    expect(await lake.deleteIfMatch("_x.json", created.etag)).toBe("deleted");
    expect(await lake.list("")).toEqual([]);
    expect(await lake.deleteIfMatch("_x.json", created.etag)).toBe("changed");
  });
});
