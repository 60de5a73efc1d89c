/** `b3 query`: SQL over the local lake with DuckDB or the local Trino, or over a deployed stage with Athena. */
import { parseArgs } from "node:util";
import { AthenaClient } from "@aws-sdk/client-athena";
import { UsageError } from "@b3/core/errors";
import { openLake } from "@b3/core/lake";
import { queryLake, queryLakeWithTrino, runAthenaQuery, touchTrino } from "@b3/core/query";
import { stageNames } from "@b3/core/stage";
import { type CliIo, EXIT } from "../cli-io.ts";
import { defaultLake } from "../defaults.ts";
import { localTrino, startLocalTrino } from "../local-trino.ts";
import { FORMATS, type Format, renderResult } from "../render-result.ts";

export const ENGINES = ["duckdb", "trino"] as const;

export const queryHelp = `Usage: b3 query [--lake PATH [--engine duckdb|trino] | --stage S] [--format table|csv|json] "SQL"

Runs one SQL statement and prints its rows.

  --lake PATH      a local lake folder (default: $B3_LAKE or .lake/), with the tables raw_stocks,
                   refined_stocks and aggregated_stocks
  --engine E       for a local lake: duckdb (default, fast, DuckDB's SQL) or trino: Athena's engine
                   (Trino 476) with the tables the Glue catalog declares, partition projection
                   included; downloaded once (about 820 MB, needs Java 24+), started on first use and
                   kept running until b3 trino stop or ${"$"}B3_TRINO_IDLE_MINUTES (default 15) idle minutes
  --stage S        Athena, in the deployed stage's workgroup etl_workgroup_<S> and database b3_<S>
                   (AWS credentials and region from the usual AWS environment)
  --format F       table (default), csv or json
  -h, --help       show this help

Example: npm run b3 -- query "SELECT nome_acao, max(data_pregao) FROM refined_stocks GROUP BY 1"`;

export async function queryCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      lake: { type: "string" },
      stage: { type: "string" },
      engine: { type: "string" },
      format: { type: "string", default: "table" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout.write(`${queryHelp}\n`);
    return EXIT.ok;
  }
  const sql = positionals.join(" ").trim();
  if (sql === "") throw new UsageError('no SQL given: b3 query "SELECT … FROM refined_stocks"');
  if (!FORMATS.includes(values.format as Format)) {
    throw new UsageError(
      `--format ${JSON.stringify(values.format)} is not one of ${FORMATS.join(", ")}`,
    );
  }
  if (values.lake !== undefined && values.stage !== undefined) {
    throw new UsageError(
      "--lake and --stage are exclusive: query the local lake or a deployed stage",
    );
  }
  const engine = values.engine ?? "duckdb";
  if (!ENGINES.includes(engine as (typeof ENGINES)[number])) {
    throw new UsageError(
      `--engine ${JSON.stringify(values.engine)} is not one of ${ENGINES.join(", ")}`,
    );
  }
  if (values.engine !== undefined && values.stage !== undefined) {
    throw new UsageError("--engine is for a local lake; --stage always runs on Athena");
  }
  let result: Awaited<ReturnType<typeof queryLake>>;
  if (values.stage !== undefined) {
    result = await runAthenaQuery({
      athena: new AthenaClient({}),
      ...stageNames(values.stage),
      sql,
    });
  } else if (engine === "trino") {
    const lakeRoot = localLakeRoot(values.lake ?? defaultLake(io.env));
    const server = await startLocalTrino(io);
    const { runDir } = localTrino(io.env);
    try {
      result = await queryLakeWithTrino({ endpoint: server.endpoint, runDir, lakeRoot, sql });
    } finally {
      touchTrino(runDir);
    }
  } else {
    result = await queryLake(localLakeRoot(values.lake ?? defaultLake(io.env)), sql);
  }
  io.stdout.write(renderResult(result, values.format as Format));
  return EXIT.ok;
}

function localLakeRoot(location: string): string {
  const lake = openLake(location);
  if (lake.root.startsWith("s3://")) {
    throw new UsageError(
      `--lake ${location}: b3 query reads local lakes only; for a deployed stage use --stage <stage> (Athena)`,
    );
  }
  return lake.root;
}
