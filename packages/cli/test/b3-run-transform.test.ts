import { cp } from "node:fs/promises";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { FIXTURES } from "../../core/test/chart-bodies.ts";
import { tempFolder } from "../../core/test/temp-folder.ts";
import { lakeTables } from "./lake-tables.ts";
import { runB3 } from "./run-b3.ts";

const b3 = (argv: string[]) => runB3(argv, { now: new Date("2020-07-01T12:00:00Z") });

const replay = ["--replay", FIXTURES, "--tickers", "PETR4.SA,ITUB4.SA"];
const root = tempFolder("b3-run-");

/** `b3 run` of 2020-07-01 from the recorded bodies of `tickers`. */
const runDay = (lake: string, tickers: string) =>
  b3(["run", "--date", "2020-07-01", "--lake", lake, "--replay", FIXTURES, "--tickers", tickers]);

/** `b3 transform --date <date> --lake <lake>`, then any further flags. */
const transform = (date: string, lake: string, ...more: string[]) =>
  b3(["transform", "--date", date, "--lake", lake, ...more]);

describe("b3 transform on a terminal", () => {
  it("shows each phase as it ends on stderr; stdout holds the summary alone", async () => {
    const lake = join(root.path, "phases");
    expect((await runDay(lake, "PETR4.SA")).code).toBe(0);
    const out = await runB3(["transform", "--date", "2020-07-01", "--lake", lake], {
      now: new Date("2020-07-01T12:00:00Z"),
      ttyStderr: true,
    });
    expect(out.code).toBe(0);
    const progress = stripVTControlCharacters(out.stderr);
    expect(progress).toContain(`transforming 2020-07-01 with duckdb in ${lake}\n`);
    for (const phase of [
      "lock and recovery",
      "register and check raw",
      "stage refined",
      "publish",
    ]) {
      expect(progress).toMatch(new RegExp(`✓ ${phase} \\d+ ms\\n`));
    }
    expect(out.stdout).toContain("raw rows 123: 123 sessions");
    expect(out.stdout).not.toContain("✓");
  });
});

describe("b3 run", () => {
  it("extracts, transforms and prints the summary and the newest rows (exit 0)", async () => {
    const lake = join(root.path, "run");
    const out = await runDay(lake, "PETR4.SA,ITUB4.SA");
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("wrote 246 rows to");
    expect(out.stdout).toContain("raw rows 246: 246 sessions");
    expect(out.stdout).toContain(
      "refined: 123 partitions written (2019-12-30 → 2020-06-30), 246 rows; 246 rows in all",
    );
    expect(out.stdout).toContain("aggregated: 14 ticker-months; newest session 2020-06-30");
    expect(out.stdout).toMatch(
      /newest refined rows:\n(.*\n){2} ITUB4\.SA\s+│ 2020-06-30\s+│\s+25\.45 │\s+26\.24 │/,
    );
  });

  it("a partial extract still transforms what was written (exit 3)", async () => {
    const out = await runDay(join(root.path, "partial"), "PETR4.SA,NOPE3.SA");
    expect(out.code).toBe(3);
    expect(out.stdout).toContain("refined: 123 partitions written");
  });

  it("nothing extracted: no transform (exit 1)", async () => {
    const out = await runDay(join(root.path, "none"), "NOPE3.SA");
    expect(out.code).toBe(1);
    expect(out.stdout).not.toContain("refined:");
  });
});

describe("b3 transform", () => {
  it("a missing raw file: exit 1 with what to do", async () => {
    const out = await transform("2020-07-02", join(root.path, "run"));
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      /^error: transform: raw file .*raw\/ingestion_date=2020-07-02\/stocks_data\.parquet does not exist\n {2}what to do: run the extract for that date first\n/,
    );
    expect(out.stderr).toContain("refined/ and aggregated/ are unchanged");
  });

  it.each([
    [["--engine", "polars"], /--engine "polars" is not one of duckdb, spark/],
    [["--date", "2020-02-30"], /not a valid date/],
    [["--lake", "s3://some-bucket"], /runs on a local lake/],
  ])("usage error %j: exit 2", async (flags, message) => {
    const out = await b3(["transform", ...flags]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
  });

  it("--engine spark runs the Glue job on DuckDB's output and both engines end with the same tables", async () => {
    // Day 1 by DuckDB, day 2 (a shifted window) by Spark reading DuckDB's refined history…
    const mixed = join(root.path, "mixed");
    expect((await b3(["extract", "--date", "2020-06-01", "--lake", mixed, ...replay])).code).toBe(
      0,
    );
    expect((await transform("2020-06-01", mixed)).code).toBe(0);
    expect((await b3(["extract", "--date", "2020-07-01", "--lake", mixed, ...replay])).code).toBe(
      0,
    );
    const spark = await transform("2020-07-01", mixed, "--engine", "spark", "--json");
    expect(spark.stderr).toBe("");
    expect(spark.code).toBe(0);
    expect(JSON.parse(spark.stdout)).toMatchObject({
      sessions: 246,
      partitions_written: 123,
      newest_session: "2020-06-30",
    });

    // …equals both days by DuckDB alone, value for value.
    const duck = join(root.path, "duck");
    await cp(join(mixed, "raw"), join(duck, "raw"), { recursive: true });
    expect((await transform("2020-06-01", duck)).code).toBe(0);
    expect((await transform("2020-07-01", duck)).code).toBe(0);
    expect(await lakeTables(mixed)).toEqual(await lakeTables(duck));
  }, 240_000);
});
