/**
 * Crash-safe publish: `b3 transform` killed (SIGKILL, through a named fault point) at every step of
 * its publish leaves each partition old or new, and the next command completes or undoes it with
 * no staging left behind.
 */
import { spawnSync } from "node:child_process";
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "../../core/test/chart-bodies.ts";
import { runB3 } from "./run-b3.ts";

const B3 = fileURLToPath(new URL("../src/b3.ts", import.meta.url));
const now = new Date("2020-07-02T12:00:00Z");

let root: string;
let base: string;
/** Partition folder → its rows as text, before and after a clean run of 2020-07-02. */
let before: Map<string, string>;
let after: Map<string, string>;

/** Each refined partition's rows (as DuckDB reads its files), and aggregated's, as text. */
async function partitions(lake: string): Promise<Map<string, string>> {
  const db = await (await DuckDBInstance.create(":memory:")).connect();
  const out = new Map<string, string>();
  const read = async (folder: string) => {
    const files = (await readdir(join(lake, folder))).filter((f) => f.endsWith(".parquet"));
    if (files.length === 0) return "";
    const list = files.map((f) => `'${join(lake, folder, f)}'`).join(", ");
    const rows = await db.runAndReadAll(`SELECT * FROM read_parquet([${list}]) ORDER BY ALL`);
    return JSON.stringify(rows.getRowsJson());
  };
  for (const p of await readdir(join(lake, "refined"))) out.set(p, await read(`refined/${p}`));
  out.set("aggregated", await read("aggregated"));
  db.closeSync();
  return out;
}

function transformChild(lake: string, fault: string) {
  return spawnSync(
    process.execPath,
    [B3, "transform", "--date", "2020-07-02", "--lake", lake, "--lock-wait", "0"],
    { env: { ...process.env, B3_FAULT: fault }, encoding: "utf8" },
  );
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "b3-crash-"));
  base = join(root, "base");
  const replay = ["--replay", FIXTURES, "--lake", base];
  await runB3(["run", "--date", "2020-07-01", "--tickers", "PETR4.SA", ...replay], { now });
  // The run to crash: VALE3's last week, raw written, not yet transformed.
  const extract = await runB3(
    ["extract", "--date", "2020-07-02", "--from", "2020-06-24", "--tickers", "VALE3.SA", ...replay],
    { now },
  );
  expect(extract.code).toBe(0);
  before = await partitions(base);
  const clean = join(root, "clean");
  await cp(base, clean, { recursive: true });
  expect(transformChild(clean, "").status).toBe(0);
  after = await partitions(clean);
}, 120_000);
afterAll(() => rm(root, { recursive: true, force: true }));

/** Fault points of a publish, in the order it reaches them; publish:step:N is the N-th file step. */
function faultPoints(): string[] {
  // One move per staged file: each changed partition and aggregated.
  const steps = [...after.keys()].filter((p) => after.get(p) !== before.get(p)).length;
  return [
    "publish:before-journal",
    "publish:after-journal",
    ...Array.from({ length: steps }, (_, i) => `publish:step:${i + 1}`),
    "publish:after-state",
    "publish:after-journal-removed",
  ];
}

describe("b3 transform killed during publish", () => {
  it("changes the partitions the clean run changes", () => {
    const changed = [...after.keys()].filter((p) => after.get(p) !== before.get(p));
    expect(changed).toContain("aggregated");
    expect(changed.length).toBeGreaterThanOrEqual(5);
  });

  it("leaves every partition old or new at each kill point, and the next command finishes the publish", async () => {
    const points = faultPoints();
    for (const [i, point] of points.entries()) {
      const lake = join(root, `kill-${i}`);
      await cp(base, lake, { recursive: true });
      const killed = transformChild(lake, point);
      expect(killed.signal, `${point}: killed`).toBe("SIGKILL");

      const crashed = await partitions(lake);
      for (const [partition, rows] of crashed) {
        const old = before.get(partition) ?? "";
        expect([old, after.get(partition)], `${point}: ${partition} is old or new`).toContain(rows);
      }
      // The next command that touches the lake (a query) completes or undoes the publish.
      const query = await runB3(["query", "--lake", lake, "SELECT count(*) FROM refined_stocks"]);
      expect(query.code, query.stderr).toBe(0);
      const recovered = await partitions(lake);
      const expected = point === "publish:before-journal" ? before : after;
      expect(Object.fromEntries(recovered), point).toEqual(Object.fromEntries(expected));
      const leftovers = (await readdir(lake)).filter((f) => f.startsWith("_transform_"));
      expect(leftovers, `${point}: no journal or staging left`).toEqual(["_transform_state.json"]);
      // And re-running the transform gives the clean run's lake.
      expect(transformChild(lake, "").status, point).toBe(0);
      expect(Object.fromEntries(await partitions(lake))).toEqual(Object.fromEntries(after));
      await rm(lake, { recursive: true, force: true });
    }
  }, 300_000);
});

describe("b3 transform killed during a first run's publish", () => {
  it("after the refined or aggregated table moved in whole, the next command finishes the publish", async () => {
    // A lake with one raw file and no table yet: each table moves in with one rename.
    const first = join(root, "first");
    const extract = await runB3(
      [
        ...["extract", "--date", "2020-07-02", "--from", "2020-06-24", "--tickers", "VALE3.SA"],
        ...["--replay", FIXTURES, "--lake", first],
      ],
      { now },
    );
    expect(extract.code, extract.stderr).toBe(0);
    const clean = join(root, "first-clean");
    await cp(first, clean, { recursive: true });
    expect(transformChild(clean, "").status).toBe(0);
    const expected = Object.fromEntries(await partitions(clean));
    expect(Object.keys(expected).length).toBeGreaterThanOrEqual(5);

    for (const point of ["publish:step:1", "publish:step:2"]) {
      const lake = join(root, `first-${point.replaceAll(":", "-")}`);
      await cp(first, lake, { recursive: true });
      expect(transformChild(lake, point).signal, `${point}: killed`).toBe("SIGKILL");
      // Killed after the first table's rename: refined is in, every partition at once.
      expect((await readdir(lake)).includes("refined"), point).toBe(true);
      const query = await runB3(["query", "--lake", lake, "SELECT count(*) FROM refined_stocks"]);
      expect(query.code, query.stderr).toBe(0);
      expect(Object.fromEntries(await partitions(lake)), point).toEqual(expected);
      const leftovers = (await readdir(lake)).filter((f) => f.startsWith("_transform_"));
      expect(leftovers, `${point}: no journal or staging left`).toEqual(["_transform_state.json"]);
    }
  }, 120_000);
});
