import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { queryLake } from "@b3/core/query";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "../../core/test/chart-bodies.ts";
import { runB3 } from "./run-b3.ts";

const b3 = (argv: string[]) => runB3(argv, { now: new Date("2020-07-01T12:00:00Z") });

const replay = ["--replay", FIXTURES, "--tickers", "PETR4.SA,ITUB4.SA"];
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "b3-run-"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const everything = async (lake: string) => ({
  refined: (await queryLake(lake, "SELECT * FROM refined_stocks ORDER BY data_pregao, nome_acao"))
    .rows,
  aggregated: (
    await queryLake(lake, "SELECT * FROM aggregated_stocks ORDER BY nome_acao, mes_referencia")
  ).rows,
});

describe("b3 run", () => {
  it("extracts, transforms and prints the summary and the newest rows (exit 0)", async () => {
    const lake = join(root, "run");
    const out = await b3(["run", "--date", "2020-07-01", "--lake", lake, ...replay]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("wrote 246 rows to");
    expect(out.stdout).toContain("raw rows 246: 246 sessions");
    expect(out.stdout).toContain(
      "refined: 123 partitions written (2019-12-30 → 2020-06-30), 246 rows; 246 rows in all",
    );
    expect(out.stdout).toContain("aggregated: 14 ticker-months; newest session 2020-06-30");
    expect(out.stdout).toMatch(
      /newest refined rows:\n(.*\n){2}│ ITUB4\.SA\s+│ 2020-06-30\s+│ 25\.45\s+│/,
    );
  });

  it("a partial extract still transforms what was written (exit 3)", async () => {
    const out = await b3([
      "run",
      "--date",
      "2020-07-01",
      "--lake",
      join(root, "partial"),
      "--replay",
      FIXTURES,
      "--tickers",
      "PETR4.SA,NOPE3.SA",
    ]);
    expect(out.code).toBe(3);
    expect(out.stdout).toContain("refined: 123 partitions written");
  });

  it("nothing extracted: no transform (exit 1)", async () => {
    const out = await b3([
      "run",
      "--date",
      "2020-07-01",
      "--lake",
      join(root, "none"),
      "--replay",
      FIXTURES,
      "--tickers",
      "NOPE3.SA",
    ]);
    expect(out.code).toBe(1);
    expect(out.stdout).not.toContain("refined:");
  });
});

describe("b3 transform", () => {
  it("a missing raw file: exit 1 with what to do", async () => {
    const out = await b3(["transform", "--date", "2020-07-02", "--lake", join(root, "run")]);
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
    const mixed = join(root, "mixed");
    expect((await b3(["extract", "--date", "2020-06-01", "--lake", mixed, ...replay])).code).toBe(
      0,
    );
    expect((await b3(["transform", "--date", "2020-06-01", "--lake", mixed])).code).toBe(0);
    expect((await b3(["extract", "--date", "2020-07-01", "--lake", mixed, ...replay])).code).toBe(
      0,
    );
    const spark = await b3([
      "transform",
      "--engine",
      "spark",
      "--json",
      "--date",
      "2020-07-01",
      "--lake",
      mixed,
    ]);
    expect(spark.stderr).toBe("");
    expect(spark.code).toBe(0);
    expect(JSON.parse(spark.stdout)).toMatchObject({
      sessions: 246,
      partitions_written: 123,
      newest_session: "2020-06-30",
    });

    // …equals both days by DuckDB alone, value for value.
    const duck = join(root, "duck");
    await cp(join(mixed, "raw"), join(duck, "raw"), { recursive: true });
    expect((await b3(["transform", "--date", "2020-06-01", "--lake", duck])).code).toBe(0);
    expect((await b3(["transform", "--date", "2020-07-01", "--lake", duck])).code).toBe(0);
    expect(await everything(mixed)).toEqual(await everything(duck));
  }, 240_000);
});
