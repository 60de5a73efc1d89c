import { mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import {
  AthenaClient,
  CreateWorkGroupCommand,
  GetQueryExecutionCommand,
  ListQueryExecutionsCommand,
} from "@aws-sdk/client-athena";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { FIXTURES } from "../../core/test/chart-bodies.ts";
import { goldenColumns } from "../../core/test/golden.ts";
import { runB3, runB3Process } from "./run-b3.ts";

const b3 = (argv: string[]) => runB3(argv);

/** `b3 query --lake <the lake> --format <format> <sql>`. */
const queryAs = (format: "json" | "csv", sql: string) =>
  b3(["query", "--lake", lake, "--format", format, sql]);

let lake: string;
beforeAll(async () => {
  lake = await mkdtemp(join(tmpdir(), "b3-query-"));
  const out = await b3([
    "extract",
    "--date",
    "2018-01-10",
    "--from",
    "2018-01-02",
    "--tickers",
    "PETR4.SA,ITUB4.SA",
    "--lake",
    lake,
    "--replay",
    FIXTURES,
  ]);
  expect(out.code).toBe(0);
});
afterAll(() => rm(lake, { recursive: true, force: true }));

describe("b3 query --lake (DuckDB)", () => {
  const sql =
    "SELECT ticker, count(*) AS sessions, min(trade_date) AS first, sum(volume) AS volume FROM raw_stocks GROUP BY ticker ORDER BY ticker";

  it("prints a table with the row count", async () => {
    const out = await b3(["query", "--lake", lake, sql]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^ ticker\s+│ sessions │ first\s+│\s+volume\n─+┼─+┼─+┼─+\n/);
    expect(out.stdout).toMatch(/ PETR4\.SA │\s+6 │ 2018-01-02 │\s+\d+\n/);
    expect(out.stdout).toMatch(/\n2 rows\n$/);
  });

  it("--format json gives typed values; raw_stocks carries ingestion_date", async () => {
    const out = await queryAs(
      "json",
      "SELECT ticker, trade_date, ingestion_date, volume FROM raw_stocks WHERE ticker = 'PETR4.SA' ORDER BY trade_date LIMIT 1",
    );
    expect(JSON.parse(out.stdout)).toEqual([
      {
        ticker: "PETR4.SA",
        trade_date: "2018-01-02",
        ingestion_date: "2018-01-10",
        volume: expect.any(Number),
      },
    ]);
  });

  it("--format csv quotes what needs quoting", async () => {
    const out = await queryAs("csv", `SELECT 'a,b' AS x, 'say "hi"' AS y, NULL AS z`);
    expect(out.stdout).toBe('x,y,z\r\n"a,b","say ""hi""",\r\n');
  });

  it("refined_stocks and aggregated_stocks exist with their columns before any transform", async () => {
    const out = await queryAs(
      "json",
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'refined_stocks' ORDER BY ordinal_position",
    );
    expect(JSON.parse(out.stdout).map((c: { column_name: string }) => c.column_name)).toEqual(
      await goldenColumns("expected_refined.csv"),
    );
    const count = await queryAs("json", "SELECT count(*) AS n FROM aggregated_stocks");
    expect(JSON.parse(count.stdout)).toEqual([{ n: 0 }]);
  });

  it.each([
    [[], /no SQL given/],
    [["--format", "xml", "SELECT 1"], /--format "xml" is not one of table, csv, json/],
    [
      ["--lake", "s3://some-bucket", "SELECT 1"],
      /reads local lakes only; for a deployed stage use --stage/,
    ],
    [["--lake", "/tmp", "--stage", "prod", "SELECT 1"], /exclusive/],
  ])("usage error %j: exit 2", async (args, message) => {
    const out = await b3(["query", ...args]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
  });

  it("a SQL error is reported with DuckDB's message (exit 1)", async () => {
    const out = await b3(["query", "--lake", lake, "SELECT nope FROM raw_stocks"]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/nope/);
  });
});

describe("b3 query: formats, lake paths and missing lakes", () => {
  const sql = "SELECT ticker, close FROM raw_stocks ORDER BY ticker, trade_date LIMIT 3";

  it("--json is --format json; with another --format it is a usage error", async () => {
    const viaAlias = await b3(["query", "--lake", lake, "--json", sql]);
    const viaFormat = await queryAs("json", sql);
    expect(viaAlias.code).toBe(0);
    expect(viaAlias.stdout).toBe(viaFormat.stdout);
    expect(JSON.parse(viaAlias.stdout)).toHaveLength(3);
    const both = await b3(["query", "--lake", lake, "--json", "--format", "csv", sql]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--json and --format csv disagree");
  });

  it("a relative --lake is taken from where the user stands", async () => {
    const out = await runB3(["query", "--lake", basename(lake), "--json", sql], {
      cwd: dirname(lake),
    });
    expect(out.code).toBe(0);
    expect(out.stdout).toBe((await queryAs("json", sql)).stdout);
  });

  it("under npm run b3, relative paths are taken from the folder npm was run in", async () => {
    const env = { ...process.env, npm_lifecycle_event: "b3", INIT_CWD: dirname(lake) };
    const out = await runB3Process(["query", "--lake", basename(lake), "--format", "csv", sql], {
      env,
    });
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(out.stdout).toBe((await queryAs("csv", sql)).stdout);
  });

  it("a lake folder that does not exist, or a file, is a usage error, never an empty answer", async () => {
    const missing = join(lake, "no-such-lake");
    const out = await b3(["query", "--lake", missing, "SELECT count(*) FROM refined_stocks"]);
    expect(out.code).toBe(2);
    expect(out.stdout).toBe("");
    expect(out.stderr).toContain(`error: no lake at ${missing}: the folder does not exist\n`);
    expect(out.stderr).toContain("what to do: build one first (b3 run, or npm run demo");
    const file = join(lake, "raw/ingestion_date=2018-01-10/stocks_data.parquet");
    const onFile = await b3(["query", "--lake", file, "SELECT 1"]);
    expect(onFile.code).toBe(2);
    expect(onFile.stderr).toContain(`no lake at ${file}: it is a file, not a folder`);
  });

  it("an empty lake folder answers, with a warning on stderr that it holds no data yet", async () => {
    const empty = await mkdtemp(join(tmpdir(), "b3-empty-lake-"));
    try {
      const out = await b3([
        "query",
        "--lake",
        empty,
        "--json",
        "SELECT count(*) AS n FROM refined_stocks",
      ]);
      expect(out.code).toBe(0);
      expect(JSON.parse(out.stdout)).toEqual([{ n: 0 }]);
      expect(out.stderr).toBe(
        `warning: the lake at ${empty} holds no data yet (nothing in raw/, refined/, aggregated/): every table is empty\n`,
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe("b3 query over a lake written before a column existed", () => {
  it("reads the missing column as NULL instead of failing every query", async () => {
    const old = await mkdtemp(join(tmpdir(), "b3-old-lake-"));
    try {
      const run = await b3([
        "run",
        ...["--date", "2020-07-01", "--tickers", "PETR4.SA", "--replay", FIXTURES],
        ...["--lake", old, "--samples", "0"],
      ]);
      expect(run.code).toBe(0);
      // The aggregated file as an older b3 wrote it: without mes_completo.
      const [file] = (await readdir(join(old, "aggregated"))).map((f) =>
        join(old, "aggregated", f),
      );
      const db = await DuckDBInstance.create();
      const connection = await db.connect();
      await connection.run(
        `COPY (SELECT * EXCLUDE (mes_completo) FROM read_parquet('${file}')) TO '${file}.old' (FORMAT parquet)`,
      );
      connection.closeSync();
      await rename(`${file}.old`, `${file}`);
      const out = await b3([
        "query",
        ...["--lake", old, "--json"],
        "SELECT count(*) AS months, count(mes_completo) AS known, count(mes_fechado) AS closed_known FROM aggregated_stocks",
      ]);
      expect(out.code).toBe(0);
      expect(JSON.parse(out.stdout)).toEqual([{ months: 7, known: 0, closed_known: 7 }]);
    } finally {
      await rm(old, { recursive: true, force: true });
    }
  });
});

/** Points Athena at the moto server with test credentials (until vi.unstubAllEnvs()); returns its endpoint. */
function useMotoAthena(): string {
  const endpoint = inject("motoEndpoint");
  vi.stubEnv("AWS_ENDPOINT_URL_ATHENA", endpoint);
  vi.stubEnv("AWS_ACCESS_KEY_ID", "testing");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "testing");
  vi.stubEnv("AWS_REGION", "us-east-1");
  return endpoint;
}

describe("b3 query --stage: what is missing, said plainly", () => {
  // No profile, no shared files, no instance metadata: only what each case sets.
  const bare = () => {
    vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/config");
    vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials");
    vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
    for (const name of [
      "AWS_PROFILE",
      "AWS_REGION",
      "AWS_DEFAULT_REGION",
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
    ]) {
      vi.stubEnv(name, undefined);
    }
  };

  it("no region: names AWS_REGION, no stack trace (exit 1)", async () => {
    bare();
    try {
      const out = await b3(["query", "--stage", "dev", "SELECT 1"]);
      expect(out.code).toBe(1);
      expect(out.stderr).toBe(
        "error: no AWS region is set, so Athena cannot be reached\n" +
          "  what to do: set AWS_REGION to the region the stage was deployed to, or AWS_PROFILE to a profile with a region (aws configure)\n",
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("no credentials: names AWS_PROFILE; --debug adds the stack traces with their causes", async () => {
    bare();
    vi.stubEnv("AWS_REGION", "us-east-1");
    try {
      const out = await b3(["query", "--stage", "dev", "SELECT 1"]);
      expect(out.code).toBe(1);
      expect(out.stderr).toMatch(
        /^error: found no AWS credentials \(.+\)\n {2}what to do: set AWS_PROFILE /,
      );
      expect(out.stderr).not.toMatch(/\n\s+at /);
      const debug = await b3(["query", "--debug", "--stage", "dev", "SELECT 1"]);
      const viaEnv = await runB3(["query", "--stage", "dev", "SELECT 1"], {
        env: { B3_DEBUG: "1" },
      });
      expect(viaEnv.stderr).toContain("caused by:\nCredentialsProviderError");
      expect(debug.stderr).toMatch(
        /AthenaQueryError: found no AWS credentials[\s\S]*\n\s+at [\s\S]*caused by:\nCredentialsProviderError/,
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("a stage that is not deployed: the workgroup named, and how to deploy it", async () => {
    useMotoAthena();
    try {
      const out = await b3(["query", "--stage", "never-deployed", "SELECT 1"]);
      expect(out.code).toBe(1);
      expect(out.stderr).toContain(
        "error: the workgroup etl_workgroup_never_deployed does not exist here\n",
      );
      expect(out.stderr).toContain(
        "what to do: deploy the stage with sst deploy, or set AWS_REGION / AWS_PROFILE",
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("b3 query --stage (Athena, against moto)", () => {
  it("runs in the stage's workgroup and database and prints the rows", async () => {
    const endpoint = useMotoAthena();
    try {
      const athena = new AthenaClient({ endpoint, region: "us-east-1" });
      await athena.send(new CreateWorkGroupCommand({ Name: "etl_workgroup_feature_42" }));
      // The answer moto gives the next query, in Athena's shape (a header row first).
      await fetch(`${endpoint}/moto-api/static/athena/query-results`, {
        method: "POST",
        body: JSON.stringify({
          region: "us-east-1",
          results: [
            {
              rows: [
                {
                  Data: [
                    { VarCharValue: "nome_acao" },
                    { VarCharValue: "fechamento" },
                    { VarCharValue: "data_pregao" },
                  ],
                },
                {
                  Data: [
                    { VarCharValue: "PETR4.SA" },
                    { VarCharValue: "30.18" },
                    { VarCharValue: "2019-12-30" },
                  ],
                },
                { Data: [{ VarCharValue: "VALE3.SA" }, {}, { VarCharValue: "2019-12-30" }] },
              ],
              column_info: [
                {
                  Name: "nome_acao",
                  Type: "varchar",
                  CatalogName: "hive",
                  SchemaName: "",
                  TableName: "",
                  Label: "nome_acao",
                  Precision: 0,
                  Scale: 0,
                  Nullable: "UNKNOWN",
                  CaseSensitive: true,
                },
                {
                  Name: "fechamento",
                  Type: "double",
                  CatalogName: "hive",
                  SchemaName: "",
                  TableName: "",
                  Label: "fechamento",
                  Precision: 0,
                  Scale: 0,
                  Nullable: "UNKNOWN",
                  CaseSensitive: false,
                },
                {
                  Name: "data_pregao",
                  Type: "date",
                  CatalogName: "hive",
                  SchemaName: "",
                  TableName: "",
                  Label: "data_pregao",
                  Precision: 0,
                  Scale: 0,
                  Nullable: "UNKNOWN",
                  CaseSensitive: false,
                },
              ],
            },
          ],
        }),
      });
      const out = await b3([
        "query",
        "--stage",
        "Feature-42",
        "--format",
        "json",
        "SELECT nome_acao, fechamento, data_pregao FROM refined_stocks LIMIT 2",
      ]);
      // Progress is a diagnostic: on stderr, the query id, its end state and the time taken.
      expect(out.stderr).toMatch(
        /^athena: query [0-9a-f-]{36} succeeded, \d+\.\d s(, [\d.]+ MB scanned)?\n$/,
      );
      expect(out.code).toBe(0);
      expect(JSON.parse(out.stdout)).toEqual([
        { nome_acao: "PETR4.SA", fechamento: 30.18, data_pregao: "2019-12-30" },
        { nome_acao: "VALE3.SA", fechamento: null, data_pregao: "2019-12-30" },
      ]);
      const { QueryExecutionIds } = await athena.send(
        new ListQueryExecutionsCommand({ WorkGroup: "etl_workgroup_feature_42" }),
      );
      expect(QueryExecutionIds).toHaveLength(1);
      const { QueryExecution } = await athena.send(
        new GetQueryExecutionCommand({ QueryExecutionId: QueryExecutionIds?.[0] }),
      );
      expect(QueryExecution).toMatchObject({
        WorkGroup: "etl_workgroup_feature_42",
        QueryExecutionContext: { Database: "b3_feature_42" },
        Query: "SELECT nome_acao, fechamento, data_pregao FROM refined_stocks LIMIT 2",
      });
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
