/**
 * Athena's engine on the local lake: a real Trino 476 (started once for the whole run, see
 * trino-setup.ts) reads the lakes `b3 run` writes through the Glue tables the synthesized stack
 * declares, partition projection included, and must read exactly what DuckDB reads.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GlueTableDefinition } from "@b3/core/lake";
import {
  isTrinoInstalled,
  localLakeTables,
  localUri,
  readTrinoState,
  registerGlueTables,
  relocateGlueTable,
  TRINO_CATALOG,
  type TrinoSession,
  trinoHome,
  trinoQuery,
} from "@b3/core/query";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { FIXTURES } from "../../core/test/chart-bodies.ts";
import { GOLDEN } from "../../core/test/golden.ts";
import { compareEngines, duckdbRows } from "./engine-compare.ts";
import { runB3 } from "./run-b3.ts";
import { type SynthesizedCatalog, synthesizedCatalog } from "./synthesized-catalog.ts";

// Each query plans every projected day since 2000 (as Athena does): seconds each on a busy machine.
vi.setConfig({ testTimeout: 90_000 });

/** The environment the CLI gets: the test run's own Trino folder, the user's download cache. */
const env = (): NodeJS.ProcessEnv => ({
  B3_TRINO_RUN_DIR: inject("trinoRunDir"),
  B3_TRINO_IDLE_MINUTES: "5",
  ...pick(process.env, ["B3_TRINO_CACHE", "XDG_CACHE_HOME", "HOME", "JAVA_HOME", "PATH"]),
});
const pick = (from: NodeJS.ProcessEnv, keys: string[]) =>
  Object.fromEntries(keys.filter((k) => from[k] !== undefined).map((k) => [k, from[k]]));
const b3 = (argv: string[]) => runB3(argv, { env: env(), now: new Date("2020-07-01T12:00:00Z") });

/**
 * The lakes, with the run date each was written for: the fixtures through `b3 run` (the extract's
 * raw file, DuckDB's refined and aggregated), the golden raw file (written by Spark) through
 * `b3 transform`; with B3_TRINO_SPARK=1 also the golden file through the Glue job itself on local
 * Spark, as the cloud writes refined and aggregated (it adds about 40 s, so it is not on by default).
 */
type Lake = "fixtures" | "golden" | "spark";
const withSpark = process.env.B3_TRINO_SPARK === "1";
const lakes: Record<Lake, { root: string; runDate: string }> = {
  fixtures: { root: "", runDate: "2020-07-01" },
  golden: { root: "", runDate: "2018-01-11" },
  spark: { root: "", runDate: "2018-01-11" },
};
const testedLakes: Lake[] = withSpark ? ["fixtures", "golden", "spark"] : ["fixtures", "golden"];
let work: string;
let catalog: SynthesizedCatalog;
let endpoint: string;
const session = (schema: string): TrinoSession => ({ endpoint, catalog: TRINO_CATALOG, schema });
const schemaOf = (lake: keyof typeof lakes) => `synth_${lake}`;

/** The synthesized Glue tables, pointed at a local lake instead of the data lake bucket. */
const glueTablesAt = (lakeRoot: string) =>
  catalog.tables.map((t) => relocateGlueTable(t, catalog.lakeRoot, localUri(lakeRoot)));

async function register(schema: string, tables: GlueTableDefinition[]) {
  await registerGlueTables({
    endpoint,
    schema,
    tables,
    emptyDir: join(inject("trinoRunDir"), "empty"),
  });
}

beforeAll(async () => {
  if (!isTrinoInstalled(trinoHome(env()))) {
    throw new Error(
      `Trino is not installed in ${trinoHome(env())}: run \`bash scripts/ensure-trino.sh\` (npm test does)`,
    );
  }
  work = await mkdtemp(join(tmpdir(), "b3-trino-"));
  for (const lake of testedLakes) lakes[lake].root = join(work, lake);
  for (const lake of testedLakes.filter((l) => l !== "fixtures")) {
    const raw = join(lakes[lake].root, "raw", "ingestion_date=2018-01-11");
    mkdirSync(raw, { recursive: true });
    copyFileSync(join(GOLDEN, "stocks_data.parquet"), join(raw, "stocks_data.parquet"));
  }

  // Trino takes several seconds to start: let it while the lakes are written and the stack synthesized.
  const trino = b3(["trino", "start"]);
  try {
    const fixtures = await b3([
      "run",
      "--replay",
      FIXTURES,
      "--date",
      lakes.fixtures.runDate,
      "--tickers",
      "PETR4.SA,VALE3.SA,ITUB4.SA",
      "--lake",
      lakes.fixtures.root,
    ]);
    expect(fixtures.stderr).toBe("");
    expect(fixtures.code).toBe(0);
    const golden = await b3(["transform", "--date", "2018-01-11", "--lake", lakes.golden.root]);
    expect(golden.stderr).toBe("");
    expect(golden.code).toBe(0);
    if (withSpark) {
      const spark = await b3([
        "transform",
        "--engine",
        "spark",
        "--date",
        "2018-01-11",
        "--lake",
        lakes.spark.root,
      ]);
      expect(spark.code).toBe(0);
    }
    catalog = await synthesizedCatalog();
  } finally {
    // Whatever failed above, the start has ended before the run's teardown stops the server.
    await trino;
  }
  const started = await trino;
  expect(started.stderr).toMatch(/^(starting Trino 476 .*\n)?$/);
  expect(started.code).toBe(0);
  endpoint = started.stdout.trim();
  for (const lake of testedLakes) {
    await register(schemaOf(lake), glueTablesAt(lakes[lake].root));
  }
}, 400_000);

afterAll(() => (work ? rm(work, { recursive: true, force: true }) : undefined));

describe("the tables Trino registers", () => {
  it("are the Glue tables of the synthesized stack, relocated to the lake", () => {
    expect(catalog.tables.map((t) => t.name)).toEqual([
      "raw_stocks",
      "refined_stocks",
      "aggregated_stocks",
    ]);
    // What b3 query --engine trino registers (from packages/core/src/lake/tables.ts) is exactly what
    // the stack gives Glue, parameters and partition projection included.
    expect(localLakeTables(lakes.fixtures.root)).toEqual(glueTablesAt(lakes.fixtures.root));
    expect(glueTablesAt(lakes.fixtures.root)[1]?.parameters).toMatchObject({
      "projection.enabled": "true",
      "projection.data_pregao.range": "2000-01-01,NOW",
      "storage.location.template": `local://${lakes.fixtures.root}/refined/data_pregao=\${data_pregao}/`,
    });
  });

  it("keep Athena's projection parameters verbatim in Trino's metastore", async () => {
    const props = await trinoQuery(
      session(schemaOf("fixtures")),
      'SELECT * FROM "refined_stocks$properties"',
    );
    // Trino lower-cases the keys as column names of $properties (EXTERNAL reads as external).
    const value = (key: string) =>
      props.rows[0]?.[props.columns.findIndex((c) => c.name === key.toLowerCase())];
    const declared = catalog.tables.find((t) => t.name === "refined_stocks")?.parameters ?? {};
    for (const [key, declaredValue] of Object.entries(declared)) {
      expect([key, value(key)]).toEqual([
        key,
        declaredValue.replace(catalog.lakeRoot, localUri(lakes.fixtures.root)),
      ]);
    }
  });
});

describe.each(testedLakes)("the %s lake: Trino reads what DuckDB reads", (lake) => {
  it.each(["raw_stocks", "refined_stocks", "aggregated_stocks"])(
    "%s: every row and column, exactly",
    async (table) => {
      // The golden raw file holds microseconds, which Athena reads to the millisecond (see below).
      const timestampMillis = lake !== "fixtures" && table === "raw_stocks";
      const { problems, duck } = await compareEngines(
        lakes[lake].root,
        session(schemaOf(lake)),
        `SELECT * FROM ${table}`,
        { timestampMillis },
      );
      expect(problems).toEqual([]);
      expect(duck.rows.length).toBeGreaterThan(0);
    },
  );

  it("every named query of the stack returns the same rows", async () => {
    expect(catalog.namedQueries.map((q) => q.name)).toEqual([
      "latest_quotes",
      "moving_average_7d_by_ticker",
      "monthly_volume",
    ]);
    for (const q of catalog.namedQueries) {
      expect(q.database).toBe(catalog.database);
      const asSaved = await compareEngines(lakes[lake].root, session(schemaOf(lake)), q.query, {
        ordered: true,
      });
      expect([q.name, asSaved.problems]).toEqual([q.name, []]);
      // The lakes hold old sessions: run each query again as if today were the lake's run date, so
      // the date-bounded ones return rows too.
      const pinned = q.query.replace(/\bcurrent_date\b/gi, `DATE '${lakes[lake].runDate}'`);
      const onRunDate = await compareEngines(lakes[lake].root, session(schemaOf(lake)), pinned, {
        ordered: true,
      });
      expect([q.name, onRunDate.problems]).toEqual([q.name, []]);
      expect([q.name, onRunDate.duck.rows.length > 0]).toEqual([q.name, true]);
    }
  }, 120_000);
});

describe("timestamps", () => {
  it("Athena reads raw_stocks.ingested_at to the millisecond: the golden file's microseconds are rounded", async () => {
    // Bounded to the one raw file of each lake: the full reads are the tests above.
    const sql = (day: string) =>
      `SELECT ticker, trade_date, ingested_at FROM raw_stocks WHERE ingestion_date = DATE '${day}'`;
    const exact = await compareEngines(
      lakes.golden.root,
      session(schemaOf("golden")),
      sql(lakes.golden.runDate),
    );
    expect(exact.duck.rows.length).toBeGreaterThan(20);
    const subMillisecond = exact.duck.rows.filter(
      (r) => (r[2] as { micros: bigint }).micros % 1000n !== 0n,
    ).length;
    expect(subMillisecond).toBeGreaterThan(20);
    expect(exact.problems).toHaveLength(subMillisecond);
    for (const problem of exact.problems) {
      const [, duck, trino] =
        /^row \d+ ingested_at: DuckDB (\d+)µs, Trino (\d+)µs$/.exec(problem) ?? [];
      expect(BigInt(trino ?? -1)).toBe(((BigInt(duck ?? 0) + 500n) / 1000n) * 1000n);
    }
    expect(exact.trino?.columns[2]).toEqual({ name: "ingested_at", type: "timestamp(3)" });
    // What the extract writes has whole milliseconds (JavaScript dates): nothing is lost there.
    const fixtures = await compareEngines(
      lakes.fixtures.root,
      session(schemaOf("fixtures")),
      sql(lakes.fixtures.runDate),
    );
    expect(fixtures.problems).toEqual([]);
  });
});

describe("partition projection", () => {
  it("a query on a range of days reads only those days' folders", async () => {
    const root = lakes.fixtures.root;
    const sql = `SELECT data_pregao, count(*) AS n, min("$path") AS first_file, max("$path") AS last_file
      FROM refined_stocks WHERE data_pregao BETWEEN DATE '2020-03-02' AND DATE '2020-03-08'
      GROUP BY data_pregao ORDER BY data_pregao`;
    const trino = await trinoQuery(session(schemaOf("fixtures")), sql);
    const folders = readdirSync(join(root, "refined"))
      .filter((f) => f >= "data_pregao=2020-03-02" && f <= "data_pregao=2020-03-08")
      .sort();
    expect(folders).toHaveLength(5);
    expect(trino.rows.map((r) => `data_pregao=${r[0]}`)).toEqual(folders);
    for (const [day, n, first, last] of trino.rows) {
      expect(n).toBe(3);
      expect(first).toContain(`/refined/data_pregao=${day}/`);
      expect(last).toContain(`/refined/data_pregao=${day}/`);
    }
    const duck = await duckdbRows(
      root,
      `SELECT data_pregao, count(*) FROM refined_stocks WHERE data_pregao BETWEEN DATE '2020-03-02' AND DATE '2020-03-08' GROUP BY 1 ORDER BY 1`,
    );
    expect(duck.rows.map((r) => [String(r[0]), Number(r[1])])).toEqual(
      trino.rows.map((r) => [r[0], r[1]]),
    );
  });

  it("folders outside the projected range (before 2000-01-01, after today) are not read, as in Athena", async () => {
    const root = join(work, "out-of-range");
    const day = readdirSync(join(lakes.fixtures.root, "refined")).sort()[0] as string;
    const file = readdirSync(join(lakes.fixtures.root, "refined", day))[0] as string;
    const future = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    for (const folder of [day, "data_pregao=1999-12-31", `data_pregao=${future}`]) {
      mkdirSync(join(root, "refined", folder), { recursive: true });
      copyFileSync(
        join(lakes.fixtures.root, "refined", day, file),
        join(root, "refined", folder, file),
      );
    }
    await register("synth_out_of_range", glueTablesAt(root));
    const trino = await trinoQuery(
      session("synth_out_of_range"),
      "SELECT data_pregao, count(*) FROM refined_stocks GROUP BY 1 ORDER BY 1",
    );
    expect(trino.rows).toEqual([[day.slice("data_pregao=".length), 3]]);
    // DuckDB globs every folder: the projection is what hides the other two.
    const duck = await duckdbRows(root, "SELECT count(*) FROM refined_stocks");
    expect(Number(duck.rows[0]?.[0])).toBe(9);
  });

  it("without its projection parameters a partitioned table reads nothing, and says nothing", async () => {
    const refined = glueTablesAt(lakes.fixtures.root).find((t) => t.name === "refined_stocks");
    if (!refined) throw new Error("no refined_stocks");
    const parameters = Object.fromEntries(
      Object.entries(refined.parameters).filter(
        ([k]) => !k.startsWith("projection.") && k !== "storage.location.template",
      ),
    );
    await register("no_projection", [{ ...refined, parameters }]);
    const { problems } = await compareEngines(
      lakes.fixtures.root,
      session("no_projection"),
      "SELECT * FROM refined_stocks",
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^row count: DuckDB [1-9]\d*, Trino 0$/);
  });
});

describe("a wrong declaration makes the check fail", () => {
  const refinedWith = (column: string, type: string): GlueTableDefinition[] => {
    const refined = glueTablesAt(lakes.fixtures.root).find((t) => t.name === "refined_stocks");
    if (!refined) throw new Error("no refined_stocks");
    return [
      {
        ...refined,
        columns: refined.columns.map((c) => (c.name === column ? { ...c, type } : c)),
      },
    ];
  };

  /** What the engines differ on over June's partitions, with `column` declared `type` in Trino's catalog. */
  const problemsWith = async (column: string, type: string) => {
    const catalog = `wrong_${type}`;
    await register(catalog, refinedWith(column, type));
    const { problems } = await compareEngines(
      lakes.fixtures.root,
      session(catalog),
      "SELECT * FROM refined_stocks WHERE data_pregao >= DATE '2020-06-01'",
    );
    return problems;
  };

  it("volume_negociado declared int: Trino reads it anyway, the type check catches it", async () => {
    const problems = await problemsWith("volume_negociado", "int");
    expect(problems).toEqual(["column volume_negociado: DuckDB reads BIGINT, Trino integer"]);
  });

  it("fechamento declared float: Trino refuses the Parquet double, and the check fails", async () => {
    const problems = await problemsWith("fechamento", "float");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/Unsupported Trino column type \(real\).*fechamento/);
  });
});

describe("b3 query --engine trino", () => {
  const lake = () => lakes.fixtures.root;
  /** `b3 query --lake <lake> --engine trino …`. */
  const trinoQuery = (lakeDir: string, ...argv: string[]) =>
    b3(["query", "--lake", lakeDir, "--engine", "trino", ...argv]);

  it.each([
    "SELECT * FROM refined_stocks ORDER BY data_pregao, nome_acao",
    "SELECT * FROM aggregated_stocks ORDER BY nome_acao, mes_referencia",
    "SELECT ticker, trade_date, open, close, volume, ingestion_date FROM raw_stocks ORDER BY trade_date, ticker",
  ])("prints the same JSON as --engine duckdb: %s", async (sql) => {
    const duck = await b3(["query", "--lake", lake(), "--format", "json", sql]);
    const trino = await trinoQuery(lake(), "--format", "json", sql);
    expect(trino.stderr).toBe("");
    expect(trino.code).toBe(0);
    expect(JSON.parse(trino.stdout).length).toBeGreaterThan(20);
    expect(trino.stdout).toBe(duck.stdout);
  });

  it("prints tables and CSV like DuckDB, timestamps in Athena's form", async () => {
    const sql =
      "SELECT nome_acao, count(*) AS sessions, max(data_pregao) AS last FROM refined_stocks WHERE data_pregao >= DATE '2020-06-01' GROUP BY 1 ORDER BY 1";
    const duck = await b3(["query", "--lake", lake(), sql]);
    const trino = await trinoQuery(lake(), sql);
    expect(trino.stdout).toBe(duck.stdout);
    expect(trino.stdout).toMatch(/\n PETR4\.SA\s+│\s+2[0-9] │ 2020-06-30\n/);
    const csv = await trinoQuery(
      lake(),
      "--format",
      "csv",
      "SELECT ticker, ingested_at FROM raw_stocks WHERE ingestion_date = DATE '2020-07-01' AND trade_date = DATE '2020-06-30' ORDER BY ticker;",
    );
    expect(csv.stdout).toMatch(
      /^ticker,ingested_at\r\nITUB4\.SA,\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\r\nPETR4\.SA,/,
    );
  });

  it("answers with empty, typed tables for a lake with nothing in it yet", async () => {
    const empty = join(work, "empty-lake");
    mkdirSync(empty, { recursive: true });
    const out = await trinoQuery(
      empty,
      "--format",
      "json",
      "SELECT (SELECT count(*) FROM raw_stocks WHERE ingestion_date >= DATE '2020-01-01') AS raw, (SELECT count(*) FROM refined_stocks WHERE data_pregao >= DATE '2020-01-01') AS refined, (SELECT count(*) FROM aggregated_stocks) AS aggregated",
    );
    expect(out.stderr).toMatch(/^warning: the lake at .* holds no data yet/);
    expect(JSON.parse(out.stdout)).toEqual([{ raw: 0, refined: 0, aggregated: 0 }]);
    expect(existsSync(join(empty, "raw"))).toBe(false);
  });

  it("reports a SQL error with Trino's message (exit 1)", async () => {
    const out = await trinoQuery(lake(), "SELECT nope FROM raw_stocks");
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^error: trino: line 1:8: Column 'nope' cannot be resolved/);
    expect(out.stdout).toBe("");
  });

  it.each([
    [["--engine", "spark", "SELECT 1"], /--engine "spark" is not one of duckdb, trino/],
    [["--engine", "trino", "--stage", "prod", "SELECT 1"], /--engine is for a local lake/],
  ])("usage error %j: exit 2", async (args, message) => {
    const out = await b3(["query", ...args]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
  });

  it("reuses the running server, which b3 trino status shows", async () => {
    const state = readTrinoState(inject("trinoRunDir"));
    expect(state?.endpoint).toBe(endpoint);
    const status = await b3(["trino", "status", "--json"]);
    expect(JSON.parse(status.stdout)).toMatchObject({
      installed: true,
      running: { endpoint, java_pid: state?.javaPid, idle_timeout_ms: 5 * 60_000 },
    });
    const again = await b3(["trino", "start"]);
    expect(again.stdout.trim()).toBe(endpoint);
    expect(again.stderr).toBe("");
  });
});
