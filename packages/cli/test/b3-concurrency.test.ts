/** One writer at a time: two `b3 transform` or two `b3 extract` started together on one lake both succeed and lose nothing; a writer that cannot get the lock in time names the holder and writes nothing. */
import { spawn } from "node:child_process";
import { cp, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { rawKey } from "@b3/core/lake";
import { queryLake } from "@b3/core/query";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "../../core/test/chart-bodies.ts";
import { runB3 } from "./run-b3.ts";

const B3 = fileURLToPath(new URL("../src/b3.ts", import.meta.url));
const now = new Date("2020-07-02T12:00:00Z");

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "b3-concurrency-"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** `b3 …` as a child process; resolves with its exit code and output. */
function b3Child(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [B3, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => {
      stdout += c;
    });
    child.stderr.on("data", (c) => {
      stderr += c;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const tables = async (lake: string) => ({
  refined: (await queryLake(lake, "SELECT * FROM refined_stocks ORDER BY nome_acao, data_pregao"))
    .rows,
  aggregated: (
    await queryLake(lake, "SELECT * FROM aggregated_stocks ORDER BY nome_acao, mes_referencia")
  ).rows,
});

const extract = (lake: string, date: string, ticker: string) =>
  runB3(["extract", "--date", date, "--tickers", ticker, "--replay", FIXTURES, "--lake", lake], {
    now,
  });

describe("two writers at once", () => {
  it("two transforms of different dates: both exit 0 and the lake equals one transform over both raw files", async () => {
    const lake = join(root, "two-transforms");
    expect((await extract(lake, "2020-07-01", "PETR4.SA")).code).toBe(0);
    expect((await extract(lake, "2020-07-02", "VALE3.SA")).code).toBe(0);
    const oracle = join(root, "two-transforms-oracle");
    await cp(join(lake, "raw"), join(oracle, "raw"), { recursive: true });

    const [a, b] = await Promise.all([
      b3Child(["transform", "--date", "2020-07-01", "--lake", lake]),
      b3Child(["transform", "--date", "2020-07-02", "--lake", lake]),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);

    const counts = await queryLake(
      lake,
      "SELECT nome_acao, count(*) FROM refined_stocks GROUP BY 1 ORDER BY 1",
    );
    expect(counts.rows).toEqual([
      ["PETR4.SA", 123],
      ["VALE3.SA", 123],
    ]);
    expect((await runB3(["transform", "--date", "2020-07-02", "--lake", oracle])).code).toBe(0);
    expect(await tables(lake)).toEqual(await tables(oracle));
  }, 120_000);

  it("two extracts of the same date: both tickers' rows are in the raw file", async () => {
    const lake = join(root, "two-extracts");
    const common = ["--date", "2020-07-01", "--replay", FIXTURES, "--lake", lake];
    const [a, b] = await Promise.all([
      b3Child(["extract", "--tickers", "PETR4.SA", ...common]),
      b3Child(["extract", "--tickers", "ITUB4.SA", ...common]),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const raw = await queryLake(
      lake,
      `SELECT ticker, count(*) FROM read_parquet('${join(lake, rawKey("2020-07-01"))}') GROUP BY 1 ORDER BY 1`,
    );
    expect(raw.rows).toEqual([
      ["ITUB4.SA", 123],
      ["PETR4.SA", 123],
    ]);
  }, 120_000);

  it("a writer that cannot get the lock in time names the holder and writes nothing", async () => {
    const lake = join(root, "held");
    expect((await extract(lake, "2020-07-01", "PETR4.SA")).code).toBe(0);
    // A live holder: this test process, with a lease far in the future.
    const holder = {
      version: 1,
      token: "held-by-test",
      owner: "transform of 2020-06-30",
      host: hostname(),
      pid: process.pid,
      acquired_at: "2026-12-03T12:00:00.000Z",
      expires_at: "2999-01-01T00:00:00.000Z",
    };
    await writeFile(join(lake, "_lake.lock"), JSON.stringify(holder));
    const before = await readdir(lake, { recursive: true });
    const out = await b3Child([
      "transform",
      "--date",
      "2020-07-01",
      "--lake",
      lake,
      "--lock-wait",
      "0.3",
    ]);
    expect(out.code).toBe(1);
    expect(out.stdout).toBe("");
    expect(out.stderr).toContain(
      `lake locked by transform of 2020-06-30 on host ${hostname()} (pid ${process.pid}) since 2026-12-03T12:00:00.000Z`,
    );
    expect(await readdir(lake, { recursive: true })).toEqual(before);
  }, 60_000);
});
