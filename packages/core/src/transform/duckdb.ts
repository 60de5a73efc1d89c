/** The local transform engine: under the lake lock, DuckDB runs the transform SQL over every raw file of a folder lake, stages the partitions that change, and publishes them through a journal. */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { createDuckDb } from "../duckdb-instance.ts";
import { rawKey } from "../lake/layout.ts";
import {
  asLakeWriter,
  fileIdentity,
  type PublishJournal,
  publishStaged,
  readState,
  STAGING_FOLDER,
  stagedFiles,
} from "../lake/publish.ts";
import { DUCKDB_TYPES, RAW_STOCKS } from "../lake/tables.ts";
import { sqlString } from "../sql-string.ts";
import { TransformError } from "./errors.ts";
import { OWN_PARTITIONS_ONLY, withKeysAllInRun } from "./first-run.ts";
import { type PhaseTimer, phaseTimer } from "./profile.ts";
import { narrowToRunTickers, type RunTickers } from "./run-tickers.ts";
import { loadTransformSql } from "./sql.ts";
import type { TransformSummary } from "./summary.ts";

/** The raw file's columns as DuckDB reads them (the partition column is in the path, not the file). */
const RAW_TYPES = Object.fromEntries(RAW_STOCKS.columns.map((c) => [c.name, DUCKDB_TYPES[c.type]]));

/**
 * Results read once stay views; the rest are materialized. refined_rows is only copied out, so a
 * view saves holding it twice.
 */
const LAZY_VIEWS = new Set(["refined_rows"]);

/** Tables no writer reads: dropped once the run's totals are known. */
const DONE_BEFORE_STAGING = [
  "raw_classified",
  "raw_counts",
  "candidate_partitions",
  "refined_history",
  "run_totals",
];

/**
 * Files DuckDB keeps open while writing partitions. The rows reach the writer sorted by partition,
 * so a partition is finished when the next one starts: a small number is enough for any backfill,
 * and it keeps the run far from a low `ulimit -n`.
 */
const MAX_OPEN_PARTITION_FILES = 64;

/**
 * About how many rows each COPY of the refined write sorts: the write is cut into ranges of dates of
 * about this many rows, so its memory does not grow with the lake.
 */
const ROWS_PER_WRITE_RANGE = 65_536;

export interface DuckDbTransformOptions {
  /** The lake folder (absolute). */
  lakeRoot: string;
  /** The raw file to transform; default raw/ingestion_date=<ingestionDate>/stocks_data.parquet. */
  rawPath?: string;
  ingestionDate?: string;
  /** Where the SQL files are; default glue-scripts/sql. */
  sqlDir?: string;
  /** How long to wait for another writer's lake lock, in ms (the lock module's default otherwise). */
  lockWaitMs?: number;
  /** Told each phase as it ends, with its wall time in ms (progress display). */
  onPhase?: (phase: string, wallMs: number) => void;
  /** About how many rows each COPY of the refined write sorts (default ROWS_PER_WRITE_RANGE). */
  rowsPerWriteRange?: number;
}

/** The ingestion date a raw file's folder names (`…/ingestion_date=D/<file>`). */
const INGESTION_DATE_FOLDER = /ingestion_date=(\d{4}-\d{2}-\d{2})[\\/][^\\/]+$/;

export async function transformWithDuckDB(
  options: DuckDbTransformOptions,
): Promise<TransformSummary> {
  const { lakeRoot } = options;
  const timer = phaseTimer({ onPhase: options.onPhase });
  const rawPath = options.rawPath ?? join(lakeRoot, rawKey(requireDate(options.ingestionDate)));
  if (!existsSync(rawPath)) {
    throw new TransformError("RawMissing", `raw file ${rawPath} does not exist`, {
      remedy: "run the extract for that date first",
    });
  }
  return asLakeWriter(
    lakeRoot,
    { owner: `transform of ${options.ingestionDate ?? rawPath}`, lockWaitMs: options.lockWaitMs },
    (lock) => {
      timer.mark("lock and recovery");
      return transformLocked(lakeRoot, rawPath, options, () => lock.assertHeld(), timer);
    },
  ).finally(() => timer.mark("release lock"));
}

async function transformLocked(
  lakeRoot: string,
  rawPath: string,
  { sqlDir, rowsPerWriteRange = ROWS_PER_WRITE_RANGE }: DuckDbTransformOptions,
  assertHeld: () => Promise<void>,
  timer: PhaseTimer,
): Promise<TransformSummary> {
  const sql = await loadTransformSql(sqlDir);
  const runId = randomUUID();
  const stagingKey = `${STAGING_FOLDER}/${runId}`;
  const staging = join(lakeRoot, stagingKey);
  const instance = await createDuckDb();
  const db = await instance.connect();
  // Every output this engine reads back or writes is ordered explicitly (ORDER BY), so DuckDB need
  // not keep rows in scan order, which lets it stream rather than buffer.
  await db.run("SET preserve_insertion_order = false");
  // When DuckDB spills to disk, it does so inside the run's own staging folder (not the working
  // folder): removed with it by the publish or by the next run's recovery.
  await db.run(`SET temp_directory = ${sqlString(join(staging, ".duckdb-spill"))}`);
  timer.mark("open duckdb");
  try {
    const raw = await registerRaw(db, lakeRoot, rawPath);
    const narrowed = raw.allPending ? null : await narrowToRunTickers(db, lakeRoot, raw.files);
    timer.mark("register and check raw");
    const summary: Partial<TransformSummary> = { raw_path: rawPath, lake_root: lakeRoot };
    let historyRegistered = false;
    for (const { view, sql: text } of sql.statements) {
      if (!historyRegistered && /\brefined_history\b/.test(withoutComments(text))) {
        await registerRefinedHistory(db, lakeRoot, sql.emptyRefinedHistory, narrowed);
        historyRegistered = true;
        timer.mark("read refined history");
      }
      // A newline before ")" — a file may end with a comment.
      const kind = LAZY_VIEWS.has(view) ? "VIEW" : "TABLE";
      await db.run(`CREATE ${kind} ${view} AS (\n${statementBody(view, text, raw, narrowed)}\n)`);
      timer.mark(view);
      if (view === "raw_counts") {
        Object.assign(summary, await summarizeRaw(db));
        if (summary.sessions === 0) {
          throw new TransformError(
            "NoSessions",
            `raw file ${rawPath} has ${summary.raw_rows} rows but no session to write (dropped: ${JSON.stringify(summary.dropped)})`,
          );
        }
      }
    }
    Object.assign(summary, await runTotals(db), await narrowed?.wholeTableTotals());
    // Only what the writers read stays: the memory of the rest goes to the sorts of the writes.
    for (const table of DONE_BEFORE_STAGING) await db.run(`DROP TABLE IF EXISTS ${table}`);
    timer.mark("run totals");
    // Everything is computed: stage the outputs, then publish them through the journal.
    const written = await stage(instance, db, staging, rowsPerWriteRange, timer);
    await assertHeld();
    publishStaged(lakeRoot, {
      version: 1,
      run_id: runId,
      method: "move-files",
      staging: stagingKey,
      files: stagedFiles(lakeRoot, stagingKey),
      delete_partitions: written.emptied,
      state: { version: 1, applied: { ...readState(lakeRoot).applied, ...raw.applied } },
    } satisfies PublishJournal);
    timer.mark("publish");
    return summary as TransformSummary;
  } finally {
    db.closeSync();
    instance.closeSync();
    timer.mark("close duckdb");
  }
}

function requireDate(date: string | undefined): string {
  if (date === undefined)
    throw new TransformError("BadCall", "give the raw file or its ingestion date");
  return date;
}

function withoutComments(text: string): string {
  return text.replace(/--[^\n]*/g, "");
}

/**
 * The text to register for one shared SQL file: its own, or the local engine's equivalent when the
 * run's shape makes part of the work's answer known (a first run; a run narrowed to its tickers).
 */
function statementBody(
  view: string,
  text: string,
  raw: { allPending: boolean; files: string[] },
  narrowed: RunTickers | null,
): string {
  if (raw.allPending && view === "candidate_partitions") return OWN_PARTITIONS_ONLY;
  if (raw.allPending && raw.files.length === 1 && view === "raw_classified") {
    return withKeysAllInRun(text) ?? text;
  }
  return narrowed?.bodies[view]?.(text) ?? text;
}

/**
 * Registers raw_input (the run's file), raw_all (every raw file), raw_pending (the run's file
 * plus every raw file the state does not list as applied), after checking each file's schema, and
 * raw_files (the ingestion date of each file of raw_all). Returns the identities to record as
 * applied, and whether every raw file is pending.
 */
async function registerRaw(
  db: DuckDBConnection,
  lakeRoot: string,
  rawPath: string,
): Promise<{ applied: Record<string, string>; allPending: boolean; files: string[] }> {
  const files = rawFiles(lakeRoot);
  if (!files.includes(rawPath)) files.push(rawPath);
  const applied = readState(lakeRoot).applied;
  const identities = new Map(files.map((f) => [f, fileIdentity(f)]));
  const pending = files.filter(
    (f) => f === rawPath || applied[lakeKey(lakeRoot, f)] !== identities.get(f),
  );
  // A file the state lists, unchanged, was checked when it was applied: only the others are read.
  for (const file of pending) await checkRawSchema(db, file);
  const read = (list: string[]) =>
    `SELECT * FROM read_parquet([${list.map(sqlString).join(", ")}], hive_partitioning = false)`;
  await db.run(`CREATE VIEW raw_input AS ${read([rawPath])}`);
  await db.run(`CREATE VIEW raw_all AS ${read(files)}`);
  await db.run(`CREATE VIEW raw_pending AS ${read(pending)}`);
  const dates = files.map((f) => INGESTION_DATE_FOLDER.exec(f)?.[1]);
  await db.run(
    `CREATE TABLE raw_files AS SELECT CAST(d AS DATE) AS ingestion_date FROM (VALUES ${dates.map((d) => `(${d === undefined ? "NULL" : sqlString(d)})`).join(", ")}) AS t(d)`,
  );
  const count = await db.runAndReadAll("SELECT count(*) FROM raw_input");
  if (Number(count.getRows()[0]?.[0]) === 0) {
    throw new TransformError("RawInvalid", `raw file ${rawPath} has no rows`, {
      remedy: "re-extract that date",
    });
  }
  return {
    applied: Object.fromEntries(
      pending.map((f) => [lakeKey(lakeRoot, f), identities.get(f) ?? ""]),
    ),
    allPending: pending.length === files.length,
    files,
  };
}

/** Every `raw/ingestion_date=*\/stocks_data.parquet` of the lake, sorted. */
function rawFiles(lakeRoot: string): string[] {
  const raw = join(lakeRoot, "raw");
  if (!existsSync(raw)) return [];
  return readdirSync(raw)
    .filter((d) => d.startsWith("ingestion_date="))
    .sort()
    .map((d) => join(raw, d, "stocks_data.parquet"))
    .filter((f) => existsSync(f));
}

function lakeKey(lakeRoot: string, path: string): string {
  return relative(lakeRoot, path).split(sep).join("/");
}

async function checkRawSchema(db: DuckDBConnection, rawPath: string): Promise<void> {
  let columns: { name: string; type: string }[];
  try {
    const described = await db.runAndReadAll(
      `DESCRIBE SELECT * FROM read_parquet(${sqlString(rawPath)}, hive_partitioning = false)`,
    );
    columns = described
      .getRowObjectsJson()
      .map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  } catch (error) {
    throw new TransformError(
      "RawInvalid",
      `raw file ${rawPath} is not a readable Parquet file (${firstLine(error)})`,
      { remedy: "re-extract that date to rewrite it" },
    );
  }
  const problems = Object.entries(RAW_TYPES).flatMap(([name, type]) => {
    const found = columns.find((c) => c.name === name);
    if (!found) return [`column ${name} is missing (expected ${type})`];
    return found.type === type ? [] : [`column ${name} is ${found.type}, expected ${type}`];
  });
  if (problems.length > 0) {
    throw new TransformError(
      "RawInvalid",
      `raw file ${rawPath} does not have the raw schema: ${problems.join("; ")}`,
    );
  }
}

/**
 * refined_history: the lake's refined files of the candidate partitions only (the SQL compares
 * nothing else). When the run is narrowed to its tickers, every ticker's rows are kept as
 * refined_history_all (the other tickers' rows of the partitions it rewrites) and refined_history
 * holds the run's tickers only, like refined_all.
 */
async function registerRefinedHistory(
  db: DuckDBConnection,
  lakeRoot: string,
  emptySql: string,
  narrowed: RunTickers | null,
): Promise<void> {
  const dates = (
    await db.runAndReadAll("SELECT DISTINCT CAST(data_pregao AS VARCHAR) FROM candidate_partitions")
  )
    .getRows()
    .map((r) => String(r[0]));
  const files = dates.flatMap((date) => {
    const folder = join(lakeRoot, "refined", `data_pregao=${date}`);
    if (!existsSync(folder)) return [];
    return readdirSync(folder)
      .filter((f) => f.endsWith(".parquet") && !f.startsWith("."))
      .map((f) => join(folder, f));
  });
  const select =
    files.length > 0
      ? `SELECT nome_acao, abertura, fechamento, max, min, volume_negociado, media_movel_7d, lag_1d, lag_2d, lag_3d,
                fechamento_ajustado, data_pregao
         FROM read_parquet([${files.map(sqlString).join(", ")}], hive_partitioning = true, hive_types = {'data_pregao': DATE}, union_by_name = true)`
      : emptySql;
  if (narrowed === null) {
    await db.run(`CREATE TABLE refined_history AS (\n${select}\n)`);
    return;
  }
  await db.run(`CREATE TABLE refined_history_all AS (\n${select}\n)`);
  await db.run(
    `CREATE TABLE refined_history AS SELECT * FROM refined_history_all WHERE ${narrowed.runTickerFilter("nome_acao")}`,
  );
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

/** Writes refined_rows (one folder per partition) and aggregated_rows under `staging`; returns the written partition folders left without rows. */
async function stage(
  instance: DuckDBInstance,
  db: DuckDBConnection,
  staging: string,
  rowsPerWriteRange: number,
  timer: PhaseTimer,
): Promise<{ emptied: string[] }> {
  mkdirSync(staging, { recursive: true });
  const written = (
    await db.runAndReadAll(
      "SELECT DISTINCT CAST(data_pregao AS VARCHAR) FROM partitions_written ORDER BY 1",
    )
  )
    .getRows()
    .map((r) => `data_pregao=${String(r[0])}`);
  const rowsPerDate = (
    await db.runAndReadAll(
      "SELECT CAST(data_pregao AS VARCHAR), count(*) FROM refined_rows GROUP BY data_pregao ORDER BY 1",
    )
  )
    .getRows()
    .map(([date, rows]) => ({ date: String(date), rows: Number(rows) }));
  const withRows = new Set(rowsPerDate.map(({ date }) => `data_pregao=${date}`));
  if (withRows.size > 0) {
    await db.run(`SET partitioned_write_max_open_files = ${MAX_OPEN_PARTITION_FILES}`);
    // Each COPY runs on one thread: with several, a partition at the edge of two threads' shares of
    // the sorted rows gets a file from each (data_0 and data_1), and a partition is then no longer
    // replaced by one rename. Two connections write disjoint ranges of dates at once, so every
    // partition still gets one file from one writer while the per-file cost is shared by two
    // cores; each writes its ranges one after the other, so a sort holds a share of the rows only.
    await db.run("SET threads = 1");
    const ranges = dateRanges(rowsPerDate, rowsPerWriteRange);
    const copy = async (connection: DuckDBConnection, lane: string[]) => {
      for (const where of lane)
        await connection.run(
          `COPY (SELECT * FROM refined_rows WHERE ${where} ORDER BY data_pregao, nome_acao)
           TO ${sqlString(join(staging, "refined"))}
           (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (data_pregao), OVERWRITE_OR_IGNORE true)`,
        );
    };
    const half = Math.ceil(ranges.length / 2);
    if (ranges.length === 1) await copy(db, ranges);
    else {
      const second = await instance.connect();
      try {
        // Both settle before the second connection closes, even when one fails.
        const lanes = await Promise.allSettled([
          copy(db, ranges.slice(0, half)),
          copy(second, ranges.slice(half)),
        ]);
        const failed = lanes.find((lane) => lane.status === "rejected");
        if (failed) throw failed.reason;
      } finally {
        second.closeSync();
      }
    }
    await db.run("RESET threads");
  }
  timer.mark("stage refined");
  mkdirSync(join(staging, "aggregated"));
  await db.run(
    `COPY (SELECT * FROM aggregated_rows ORDER BY nome_acao, mes_referencia)
     TO ${sqlString(join(staging, "aggregated", "part-00000.parquet"))} (FORMAT parquet, COMPRESSION snappy)`,
  );
  timer.mark("stage aggregated");
  return { emptied: written.filter((p) => !withRows.has(p)) };
}

/**
 * Conditions on data_pregao that cut refined_rows (its row count per date, in date order) into
 * consecutive ranges of dates of about equal numbers of rows, each about `rowsPerRange` or fewer;
 * one condition matching every row when the rows fit one range or lie on one date.
 */
function dateRanges(
  rowsPerDate: readonly { date: string; rows: number }[],
  rowsPerRange: number,
): string[] {
  const total = rowsPerDate.reduce((sum, { rows }) => sum + rows, 0);
  const count = Math.ceil(total / rowsPerRange);
  // Each range starts at the first date past its share of the rows; never at the first date.
  const starts: string[] = [];
  let seen = 0;
  let k = 1;
  for (const [index, { date, rows }] of rowsPerDate.entries()) {
    seen += rows;
    if (k >= count) break;
    if (seen / total <= k / count) continue;
    if (index > 0) starts.push(date);
    while (k < count && seen / total > k / count) k++;
  }
  if (starts.length === 0) return ["TRUE"];
  const bounds = starts.map((d) => `DATE ${sqlString(d)}`);
  return [
    `data_pregao < ${bounds[0]}`,
    ...bounds.slice(1).map((b, i) => `data_pregao >= ${bounds[i]} AND data_pregao < ${b}`),
    `data_pregao >= ${bounds.at(-1)}`,
  ];
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split("\n")[0] ?? "";
}
