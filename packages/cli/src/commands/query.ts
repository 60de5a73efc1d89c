/** `b3 query`: SQL over the local lake with DuckDB or the local Trino, or over a deployed stage with Athena. */
import { AthenaClient } from "@aws-sdk/client-athena";
import { UsageError } from "@b3/core/errors";
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  type QueryResult,
  queryLake,
  queryLakeWithTrino,
  runAthenaQuery,
  touchTrino,
} from "@b3/core/query";
import { stageNames } from "@b3/core/stage";
import { type CliIo, EXIT, terminalWidth } from "../cli-io.ts";
import { defineCommand } from "../command.ts";
import { LAKE_DEFAULT } from "../defaults.ts";
import { defaulted, FLAGS, oneOf, optional, text, toggle, wholeNumber } from "../flags.ts";
import { lakeLocation, localLakeRoot, requireLakeFolder } from "../lake-arg.ts";
import { localTrino, startLocalTrino } from "../local-trino.ts";
import { DEFAULT_MAX_ROWS, FORMATS, renderResult } from "../render-result.ts";

export const QUERY_ENGINES = ["duckdb", "trino"] as const;

const notS3 = (location: string) =>
  `--lake ${location}: b3 query reads local lakes only; for a deployed stage use --stage <stage> (Athena)`;

export const query = defineCommand({
  name: "query",
  summary: "SQL over the local lake (DuckDB or local Trino) or a deployed stage (Athena)",
  description: "Runs one SQL statement and prints its rows.",
  argument: { syntax: "[sql...]", help: "the statement (its words are joined with spaces)" },
  flags: {
    lake: {
      ...FLAGS.lake,
      value: "PATH",
      help: `a local lake folder (default: ${LAKE_DEFAULT}), with the tables raw_stocks, refined_stocks and aggregated_stocks`,
    },
    engine: defaulted({
      value: "E",
      help:
        "for a local lake: duckdb (fast, DuckDB's SQL) or trino: Athena's engine (Trino 476) with the " +
        "tables the Glue catalog declares, partition projection included; downloaded once (about 820 MB, " +
        "needs Java 24+), started on first use and kept running until b3 trino stop or " +
        `$B3_TRINO_IDLE_MINUTES (default ${DEFAULT_IDLE_TIMEOUT_MS / 60_000}) idle minutes`,
      choices: QUERY_ENGINES,
      parse: oneOf(QUERY_ENGINES),
      default: "duckdb" as (typeof QUERY_ENGINES)[number],
    }),
    stage: optional({
      value: "S",
      help:
        "Athena, in the deployed stage's workgroup etl_workgroup_<S> and database b3_<S> " +
        "(AWS credentials and region from the usual AWS environment)",
      parse: text,
    }),
    format: defaulted({
      value: "F",
      help: "how to print the rows",
      choices: FORMATS,
      parse: oneOf(FORMATS),
      default: "table" as (typeof FORMATS)[number],
    }),
    json: toggle("the same as --format json"),
    maxRows: defaulted({
      value: "N",
      help: "with --format table: rows to show at most, the first and last halves; 0 for all",
      parse: wholeNumber,
      default: DEFAULT_MAX_ROWS,
    }),
  },
  notes:
    'Examples:\n  npx b3 query "SELECT nome_acao, max(data_pregao) FROM refined_stocks GROUP BY 1"\n' +
    '  npx b3 query --format csv "SELECT * FROM aggregated_stocks" > aggregated.csv\n' +
    '  npx b3 query --stage prod --json "SELECT count(*) AS n FROM refined_stocks" | jq .',
  async run(values, io, { args, given }) {
    const sql = args.join(" ").trim();
    if (sql === "") {
      throw new UsageError("MissingValue", "no SQL given", {
        remedy: 'give one statement: b3 query "SELECT … FROM refined_stocks"',
      });
    }
    if (values.lake !== undefined && values.stage !== undefined) {
      throw new UsageError("Conflict", "--lake and --stage are exclusive", {
        remedy: "query the local lake or a deployed stage",
      });
    }
    if (given("engine") && values.stage !== undefined) {
      throw new UsageError(
        "Conflict",
        "--engine is for a local lake; --stage always runs on Athena",
      );
    }
    if (values.json && given("format") && values.format !== "json") {
      throw new UsageError("Conflict", `--json and --format ${values.format} disagree`, {
        remedy: "give one of them",
      });
    }
    const format = values.json ? "json" : values.format;
    const result =
      values.stage !== undefined
        ? await queryStage(values.stage, sql, io)
        : await queryLocal(lakeLocation(values.lake, io), values.engine, sql, io);
    io.stdout.write(
      renderResult(result, format, { maxRows: values.maxRows, width: terminalWidth(io.stdout) }),
    );
    return EXIT.ok;
  },
});

/** Runs `sql` over the local lake at `location` with `engine`. */
async function queryLocal(
  location: string,
  engine: (typeof QUERY_ENGINES)[number],
  sql: string,
  io: CliIo,
): Promise<QueryResult> {
  const lakeRoot = localLakeRoot(location, notS3(location));
  requireLakeFolder(lakeRoot, io);
  return engine === "trino" ? queryWithTrino(lakeRoot, sql, io) : queryLake(lakeRoot, sql);
}

/** Runs `sql` on Athena in `stage`'s workgroup and database, its progress on stderr. */
async function queryStage(stage: string, sql: string, io: CliIo): Promise<QueryResult> {
  const live = io.stderr.isTTY === true;
  return runAthenaQuery({
    athena: new AthenaClient({}),
    ...stageNames(stage),
    sql,
    onProgress: (p) => {
      const scanned =
        p.dataScannedBytes === undefined ? "" : `, ${megabytes(p.dataScannedBytes)} scanned`;
      const line = `athena: query ${p.queryExecutionId} ${p.state.toLowerCase()}, ${seconds(p.elapsedMs)}${scanned}`;
      // On a terminal one line is redrawn at each poll; elsewhere only the final state is written.
      if (live) io.stderr.write(`\r\x1b[K${line}${p.final ? "\n" : ""}`);
      else if (p.final) io.stderr.write(`${line}\n`);
    },
  });
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 0)} MB`;

/** Runs `sql` on the local Trino (installed and started if need be) over the lake at `lakeRoot`. */
async function queryWithTrino(lakeRoot: string, sql: string, io: CliIo): Promise<QueryResult> {
  const server = await startLocalTrino(io);
  const { runDir } = localTrino(io.env);
  try {
    return await queryLakeWithTrino({ endpoint: server.endpoint, runDir, lakeRoot, sql });
  } finally {
    touchTrino(runDir);
  }
}
