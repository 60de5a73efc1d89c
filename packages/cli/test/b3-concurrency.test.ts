import { cp, readdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { rawKey } from "@b3/core/lake";
import { queryLake } from "@b3/core/query";
import { describe, expect, it } from "vitest";
import { FIXTURES } from "../../core/test/chart-bodies.ts";
import { tempFolder } from "../../core/test/temp-folder.ts";
import { lakeTables } from "./lake-tables.ts";
import { runB3, runB3Process } from "./run-b3.ts";

const now = new Date("2020-07-02T12:00:00Z");

const root = tempFolder("b3-concurrency-");

const extract = (lake: string, date: string, ticker: string) =>
  runB3(["extract", "--date", date, "--tickers", ticker, "--replay", FIXTURES, "--lake", lake], {
    now,
  });

describe("two writers at once", () => {
  it("two transforms of different dates: both exit 0 and the lake equals one transform over both raw files", async () => {
    const lake = join(root.path, "two-transforms");
    expect((await extract(lake, "2020-07-01", "PETR4.SA")).code).toBe(0);
    expect((await extract(lake, "2020-07-02", "VALE3.SA")).code).toBe(0);
    const oracle = join(root.path, "two-transforms-oracle");
    await cp(join(lake, "raw"), join(oracle, "raw"), { recursive: true });

    const [a, b] = await Promise.all([
      runB3Process(["transform", "--date", "2020-07-01", "--lake", lake]),
      runB3Process(["transform", "--date", "2020-07-02", "--lake", lake]),
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
    expect(await lakeTables(lake)).toEqual(await lakeTables(oracle));
  }, 120_000);

  it("two extracts of the same date: both tickers' rows are in the raw file", async () => {
    const lake = join(root.path, "two-extracts");
    const common = ["--date", "2020-07-01", "--replay", FIXTURES, "--lake", lake];
    const [a, b] = await Promise.all([
      runB3Process(["extract", "--tickers", "PETR4.SA", ...common]),
      runB3Process(["extract", "--tickers", "ITUB4.SA", ...common]),
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
    const lake = join(root.path, "held");
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
    const out = await runB3Process([
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
