/** Runs one SQL statement in an Athena workgroup: start, poll with backoff until it ends, read every page of results. */
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { athenaRequestError, failedQueryRemedy } from "./athena-errors.ts";
import { AthenaQueryError } from "./errors.ts";
import type { QueryResult } from "./result.ts";

export interface AthenaQueryOptions {
  athena: AthenaClient;
  workgroup: string;
  database: string;
  sql: string;
  /** Give up (and say so) after this long. Default 5 minutes. */
  maxWaitMs?: number;
  /** First poll delay; grows ×1.5 up to 5 s. Default 250 ms. */
  firstPollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Told after every poll, and once more when the query has ended (`final`). */
  onProgress?: (progress: AthenaProgress) => void;
}

/** Where a query stands: Athena's state, time since it was started, and the data it has scanned so far. */
export interface AthenaProgress {
  queryExecutionId: string;
  state: string;
  elapsedMs: number;
  dataScannedBytes: number | undefined;
  final: boolean;
}

const NUMERIC = new Set([
  "tinyint",
  "smallint",
  "integer",
  "bigint",
  "float",
  "real",
  "double",
  "decimal",
]);

export async function runAthenaQuery(
  options: AthenaQueryOptions,
): Promise<QueryResult & { queryExecutionId: string }> {
  const { athena, workgroup, database, sql, maxWaitMs = 300_000, firstPollMs = 250 } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const started = Date.now();
  const request = { workgroup, database };
  const { QueryExecutionId: id } = await athena
    .send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: workgroup,
        QueryExecutionContext: { Database: database },
      }),
    )
    .catch((cause: unknown) => {
      throw athenaRequestError(cause, request);
    });
  if (!id) throw new AthenaQueryError("NotStarted", "Athena returned no query execution id");

  let delay = firstPollMs;
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const { QueryExecution } = await athena
      .send(new GetQueryExecutionCommand({ QueryExecutionId: id }))
      .catch((cause: unknown) => {
        throw athenaRequestError(cause, request);
      });
    const state = QueryExecution?.Status?.State;
    const ended = state === "SUCCEEDED" || state === "FAILED" || state === "CANCELLED";
    options.onProgress?.({
      queryExecutionId: id,
      state: state ?? "QUEUED",
      elapsedMs: Date.now() - started,
      dataScannedBytes: QueryExecution?.Statistics?.DataScannedInBytes,
      final: ended,
    });
    if (state === "SUCCEEDED") break;
    if (state === "FAILED" || state === "CANCELLED") {
      const reason = QueryExecution?.Status?.StateChangeReason ?? "no reason given";
      throw new AthenaQueryError(
        state === "FAILED" ? "Failed" : "Cancelled",
        `Athena query ${id} ${state.toLowerCase()}: ${reason}`,
        { remedy: failedQueryRemedy(reason, request) },
      );
    }
    if (Date.now() > deadline) {
      throw new AthenaQueryError(
        "TimedOut",
        `Athena query ${id} still ${state ?? "pending"} after ${maxWaitMs / 1000} s`,
        { remedy: `check it in the Athena console (workgroup ${workgroup})` },
      );
    }
    await sleep(delay);
    delay = Math.min(delay * 1.5, 5_000);
  }

  const columns: string[] = [];
  const types: string[] = [];
  const rows: QueryResult["rows"] = [];
  let nextToken: string | undefined;
  let firstPage = true;
  do {
    const page = await athena
      .send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: nextToken }))
      .catch((cause: unknown) => {
        throw athenaRequestError(cause, request);
      });
    if (firstPage) {
      for (const c of page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []) {
        columns.push(c.Name ?? "");
        types.push((c.Type ?? "varchar").toLowerCase());
      }
    }
    let pageRows = page.ResultSet?.Rows ?? [];
    // For SELECTs, Athena's first row repeats the column names.
    if (firstPage && pageRows[0]?.Data?.every((d, i) => d.VarCharValue === columns[i]))
      pageRows = pageRows.slice(1);
    for (const row of pageRows) {
      rows.push((row.Data ?? []).map((d, i) => typed(d.VarCharValue, types[i] ?? "varchar")));
    }
    firstPage = false;
    nextToken = page.NextToken;
  } while (nextToken);
  return { columns, rows, queryExecutionId: id };
}

function typed(value: string | undefined, type: string): string | number | boolean | null {
  if (value === undefined) return null;
  if (NUMERIC.has(type)) return Number(value);
  if (type === "boolean") return value === "true";
  return value;
}
