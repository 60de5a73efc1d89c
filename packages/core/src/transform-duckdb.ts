/** The local transform engine: DuckDB runs the transform SQL over a folder lake, stages refined and aggregated, then swaps them in folder by folder. */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync } from "node:fs";
import { mkdir, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { rawKey } from "./lake-layout.ts";
import { loadTransformSql } from "./transform-sql.ts";
import { TransformError, type TransformSummary } from "./transform-summary.ts";

export const STAGING_FOLDER = "_transform_staging";

/** The raw schema as DuckDB reads it (DESIGN §4). */
const RAW_TYPES: Record<string, string> = {
  ticker: "VARCHAR",
  trade_date: "DATE",
  open: "DOUBLE",
  high: "DOUBLE",
  low: "DOUBLE",
  close: "DOUBLE",
  adj_close: "DOUBLE",
  volume: "BIGINT",
  ingested_at: "TIMESTAMP WITH TIME ZONE",
};

/**
 * Results only aggregated over stay views; the rest are materialized once. refined_all is
 * history + refined_rows: copying its million rows into a table cost a quarter of a second
 * (npm run bench) for nothing.
 */
const LAZY_VIEWS = new Set(["refined_all"]);

export interface DuckDbTransformOptions {
  /** The lake folder (absolute). */
  lakeRoot: string;
  /** The raw file to transform; default raw/ingestion_date=<ingestionDate>/stocks_data.parquet. */
  rawPath?: string;
  ingestionDate?: string;
  /** Where the SQL files are; default glue-scripts/sql. */
  sqlDir?: string;
}

const q = (s: string) => `'${s.replaceAll("'", "''")}'`;

export async function transformWithDuckDB(
  options: DuckDbTransformOptions,
): Promise<TransformSummary> {
  const { lakeRoot } = options;
  const rawPath = options.rawPath ?? join(lakeRoot, rawKey(requireDate(options.ingestionDate)));
  if (!existsSync(rawPath)) {
    throw new TransformError(
      `raw file ${rawPath} does not exist: run b3 extract for that date first`,
    );
  }
  const sql = await loadTransformSql(options.sqlDir);
  const instance = await DuckDBInstance.create(":memory:");
  const db = await instance.connect();
  const staging = join(lakeRoot, STAGING_FOLDER, randomUUID());
  try {
    await registerRaw(db, rawPath);
    await registerRefinedHistory(db, lakeRoot, sql.emptyRefinedHistory);
    const summary: Partial<TransformSummary> = { raw_path: rawPath, lake_root: lakeRoot };
    for (const { view, sql: text } of sql.statements) {
      // A newline before ")" — a file may end with a comment.
      const kind = LAZY_VIEWS.has(view) ? "VIEW" : "TABLE";
      await db.run(`CREATE TEMP ${kind} ${view} AS (\n${text}\n)`);
      if (view === "raw_counts") {
        Object.assign(summary, await summarizeRaw(db));
        if (summary.sessions === 0) {
          throw new TransformError(
            `raw file ${rawPath} has ${summary.raw_rows} rows but no session to write (dropped: ${JSON.stringify(summary.dropped)})`,
          );
        }
      }
    }
    Object.assign(summary, await runTotals(db));
    // Everything is computed: stage the outputs, then swap them in.
    await stage(db, staging);
    publish(lakeRoot, staging);
    return summary as TransformSummary;
  } finally {
    db.closeSync();
    instance.closeSync();
    await rm(staging, { recursive: true, force: true });
    await rmdir(join(lakeRoot, STAGING_FOLDER)).catch(() => {}); // only when no other run uses it
  }
}

function requireDate(date: string | undefined): string {
  if (date === undefined) throw new TransformError("give the raw file or its ingestion date");
  return date;
}

async function registerRaw(db: DuckDBConnection, rawPath: string): Promise<void> {
  let columns: { name: string; type: string }[];
  try {
    const described = await db.runAndReadAll(
      `DESCRIBE SELECT * FROM read_parquet(${q(rawPath)}, hive_partitioning = false)`,
    );
    columns = described
      .getRowObjectsJson()
      .map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  } catch (error) {
    throw new TransformError(
      `raw file ${rawPath} is not a readable Parquet file (${firstLine(error)}): re-run b3 extract for that date to rewrite it`,
    );
  }
  const problems = Object.entries(RAW_TYPES).flatMap(([name, type]) => {
    const found = columns.find((c) => c.name === name);
    if (!found) return [`column ${name} is missing (expected ${type})`];
    return found.type === type ? [] : [`column ${name} is ${found.type}, expected ${type}`];
  });
  if (problems.length > 0) {
    throw new TransformError(
      `raw file ${rawPath} does not have the raw schema: ${problems.join("; ")}`,
    );
  }
  await db.run(
    `CREATE VIEW raw_input AS SELECT * FROM read_parquet(${q(rawPath)}, hive_partitioning = false)`,
  );
  const count = await db.runAndReadAll("SELECT count(*) FROM raw_input");
  if (Number(count.getRows()[0]?.[0]) === 0) {
    throw new TransformError(`raw file ${rawPath} has no rows: re-run b3 extract for that date`);
  }
}

async function registerRefinedHistory(
  db: DuckDBConnection,
  lakeRoot: string,
  emptySql: string,
): Promise<void> {
  const glob = join(lakeRoot, "refined", "data_pregao=*", "*.parquet");
  const files = await db.runAndReadAll(`SELECT count(*) FROM glob(${q(glob)})`);
  const select =
    Number(files.getRows()[0]?.[0]) > 0
      ? `SELECT nome_acao, abertura, fechamento, max, min, volume_negociado, media_movel_7d, lag_1d, lag_2d, lag_3d,
                fechamento_ajustado, data_pregao
         FROM read_parquet(${q(glob)}, hive_partitioning = true, hive_types = {'data_pregao': DATE}, union_by_name = true)`
      : emptySql;
  await db.run(`CREATE VIEW refined_history AS (\n${select}\n)`);
}

async function summarizeRaw(db: DuckDBConnection) {
  const rows = (
    await db.runAndReadAll("SELECT nome_acao, drop_reason, row_count FROM raw_counts")
  ).getRowObjectsJson();
  const sessionsPerTicker: Record<string, number> = {};
  const dropped: Record<string, number> = {};
  let rawRows = 0;
  for (const r of rows) {
    const n = Number(r.row_count);
    rawRows += n;
    if (r.drop_reason === null) sessionsPerTicker[String(r.nome_acao)] = n;
    else dropped[String(r.drop_reason)] = (dropped[String(r.drop_reason)] ?? 0) + n;
  }
  return {
    raw_rows: rawRows,
    sessions: Object.values(sessionsPerTicker).reduce((a, b) => a + b, 0),
    sessions_per_ticker: sessionsPerTicker,
    dropped: Object.fromEntries(Object.entries(dropped).sort()),
  };
}

async function runTotals(db: DuckDBConnection) {
  const [row] = (await db.runAndReadAll("SELECT * FROM run_totals")).getRowObjectsJson();
  return Object.fromEntries(
    Object.entries(row ?? {}).map(([k, v]) => [
      k,
      typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v,
    ]),
  );
}

async function stage(db: DuckDBConnection, staging: string): Promise<void> {
  await mkdir(staging, { recursive: true });
  const partitions = Number(
    (
      await db.runAndReadAll("SELECT count(DISTINCT data_pregao) FROM refined_rows")
    ).getRows()[0]?.[0],
  );
  // Rows sorted by partition and enough open files for every partition: one pass, no reshuffling.
  await db.run(`SET partitioned_write_max_open_files = ${partitions + 1}`);
  await db.run(
    `COPY (SELECT * FROM refined_rows ORDER BY data_pregao, nome_acao)
     TO ${q(join(staging, "refined"))} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (data_pregao))`,
  );
  await mkdir(join(staging, "aggregated"));
  await db.run(
    `COPY (SELECT * FROM aggregated_rows ORDER BY nome_acao, mes_referencia)
     TO ${q(join(staging, "aggregated", "part-00000.parquet"))} (FORMAT parquet, COMPRESSION snappy)`,
  );
}

/**
 * Swaps each staged refined partition folder, then the aggregated folder, into the lake. Each swap
 * is a rename, atomic on a local disk: a reader sees a partition's old files or its new ones, never
 * a mix. A crash between two swaps leaves some partitions new and some old; re-running the same raw
 * file repairs that, since the output depends only on the raw file and the untouched history.
 *
 * Synchronous on purpose: a backfill swaps thousands of folders, and one awaited fs/promises call
 * after another took twice as long (a thread-pool round trip each; npm run bench). A lake with no
 * refined table yet gets the whole staged folder in one rename.
 */
export function publish(lakeRoot: string, staging: string): void {
  const refined = join(lakeRoot, "refined");
  if (existsSync(refined)) {
    const retired = join(staging, "retired");
    mkdirSync(join(retired, "refined"), { recursive: true });
    for (const partition of readdirSync(join(staging, "refined"))) {
      const target = join(refined, partition);
      if (existsSync(target)) renameSync(target, join(retired, "refined", partition));
      renameSync(join(staging, "refined", partition), target);
    }
  } else {
    renameSync(join(staging, "refined"), refined);
  }
  const aggregated = join(lakeRoot, "aggregated");
  if (existsSync(aggregated)) {
    mkdirSync(join(staging, "retired"), { recursive: true });
    renameSync(aggregated, join(staging, "retired", "aggregated"));
  }
  renameSync(join(staging, "aggregated"), aggregated);
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split("\n")[0] ?? "";
}
