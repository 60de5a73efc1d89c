/**
 * The saved Athena queries, executed: each named query of the synthesized stack runs in DuckDB over
 * the golden lake (glue-scripts/tests/golden/stocks_data.parquet as the raw file of 2018-01-11, put
 * through the local transform, which runs the Glue job's SQL files) and must return the rows the
 * golden fixture's independently worked-out tables say it should.
 *
 * DuckDB is not Athena: this proves what each query computes over the real table layout; Athena's
 * own dialect is only approached (the queries keep to SQL both engines read the same way).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type QueryResult, queryLake, rawKey, transformWithDuckDB } from "./core";
import { repoRoot } from "./setup";
import { type Synthesis, synthesize } from "./synth";

const GOLDEN = path.join(repoRoot, "glue-scripts/tests/golden");
/** The golden raw file's ingestion date: "today" for the queries that look back from today. */
const TODAY = "2018-01-11";

type Row = Record<string, string | number | boolean | null>;

let app: Synthesis;
let lake: string;

beforeAll(async () => {
  app = await synthesize({ stage: "prod", env: { B3_GITHUB_REPOSITORY: "acme/b3-pipeline" } });
  lake = mkdtempSync(path.join(os.tmpdir(), "b3-golden-lake-"));
  const raw = path.join(lake, rawKey(TODAY));
  mkdirSync(path.dirname(raw), { recursive: true });
  copyFileSync(path.join(GOLDEN, "stocks_data.parquet"), raw);
  await transformWithDuckDB({ lakeRoot: lake, ingestionDate: TODAY });
});

afterAll(() => {
  if (lake) rmSync(lake, { recursive: true, force: true });
});

/** A CSV of the golden folder as rows (empty cell = NULL, numbers as numbers). */
function golden(file: string): Row[] {
  const [header, ...lines] = readFileSync(path.join(GOLDEN, file), "utf8").trim().split("\n");
  const columns = header?.split(",") ?? [];
  return lines.map((line) => {
    const cells = line.split(",");
    return Object.fromEntries(
      columns.map((c, i) => {
        const cell = cells[i] ?? "";
        if (cell === "") return [c, null];
        if (cell === "true" || cell === "false") return [c, cell === "true"];
        return [c, /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(cell) ? Number(cell) : cell];
      }),
    );
  });
}

const daysBefore = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
const byTickerThenDate = (a: Row, b: Row) =>
  String(a.nome_acao).localeCompare(String(b.nome_acao)) ||
  String(a.data_pregao).localeCompare(String(b.data_pregao));

/** What each saved query must return over the golden lake, worked out from the golden tables. */
const EXPECTED: Record<string, () => Row[]> = {
  latest_quotes: () => {
    const newest = new Map<string, Row>();
    for (const row of golden("expected_refined.csv")) {
      const seen = newest.get(String(row.nome_acao));
      if (!seen || String(row.data_pregao) > String(seen.data_pregao))
        newest.set(String(row.nome_acao), row);
    }
    return [...newest.values()].sort(byTickerThenDate);
  },
  moving_average_7d_by_ticker: () =>
    golden("expected_refined.csv")
      .filter((row) => String(row.data_pregao) >= daysBefore(TODAY, 90))
      .sort(byTickerThenDate)
      .map((row) => ({
        ...row,
        distancia_da_media:
          row.media_movel_7d === null ? null : Number(row.fechamento) - Number(row.media_movel_7d),
      })),
  monthly_volume: () =>
    golden("expected_aggregated.csv").sort(
      (a, b) =>
        String(b.mes_referencia).localeCompare(String(a.mes_referencia)) ||
        String(a.nome_acao).localeCompare(String(b.nome_acao)),
    ),
};

/** The query as DuckDB runs it over a local lake: no database prefix, and "today" pinned. */
function forGoldenLake(query: string, database: string): string {
  return query
    .replace(new RegExp(`(?:"?awsdatacatalog"?\\.)?"?${database}"?\\.`, "gi"), "")
    .replace(/\bcurrent_date\b/gi, `DATE '${TODAY}'`);
}

/** Every returned column of every row equals the expected value (doubles within 1e-9 relative). */
function expectRows(result: QueryResult, expected: Row[], query: string) {
  expect(result.rows.length, `${query}: rows`).toBe(expected.length);
  expect(result.rows.length, `${query}: returns something`).toBeGreaterThan(0);
  result.rows.forEach((row, i) => {
    result.columns.forEach((column, j) => {
      const where = `${query} row ${i} ${column}`;
      const want = expected[i]?.[column];
      const got = row[j];
      expect(want, `${where}: a column the golden tables do not have`).not.toBeUndefined();
      if (typeof want === "number" && typeof got === "number")
        expect(Math.abs(got - want), where).toBeLessThanOrEqual(Math.abs(want) * 1e-9);
      else expect(got, where).toEqual(want);
    });
  });
}

const savedQueries = () =>
  app.ofType("aws:athena/namedQuery:NamedQuery").map((q) => q.inputs as Record<string, string>);

describe("the saved Athena queries", () => {
  it("live in this stage's workgroup and database, and each has its expected rows here", () => {
    const workgroup = app.one("aws:athena/workgroup:Workgroup", "Workgroup").inputs.name;
    const database = app.one("aws:glue/catalogDatabase:CatalogDatabase", "CatalogDatabase").inputs
      .name;
    expect(savedQueries().length).toBeGreaterThan(0);
    for (const q of savedQueries()) expect(q, q.name).toMatchObject({ workgroup, database });
    expect(
      savedQueries()
        .map((q) => q.name)
        .sort(),
    ).toEqual(Object.keys(EXPECTED).sort());
  });

  it("return, over the golden lake, the rows the golden tables give", async () => {
    for (const q of savedQueries()) {
      const expected = EXPECTED[q.name ?? ""];
      if (!expected) continue; // reported by the test above
      const result = await queryLake(lake, forGoldenLake(String(q.query), String(q.database)));
      expectRows(result, expected(), String(q.name));
    }
  });

  it("latest_quotes gives one row per ticker: its last session and close", async () => {
    const q = savedQueries().find((s) => s.name === "latest_quotes");
    const result = await queryLake(lake, forGoldenLake(String(q?.query), String(q?.database)));
    const column = (name: string) => result.rows.map((r) => r[result.columns.indexOf(name)]);
    expect(column("nome_acao")).toEqual(["ITUB4.SA", "PETR4.SA"]);
    expect(column("data_pregao")).toEqual(["2018-01-03", "2018-01-09"]);
    expect(column("fechamento")).toEqual([29.45330047607422, 17.030000686645508]);
  });
});
