/**
 * Raw rows per ticker and outcome over every raw file of a lake, by the transform's own SQL
 * (glue-scripts/sql 01_raw_classified and 02_raw_counts) run as if the whole lake were one run:
 * each (ticker, day) counts once, as a session or under the reason it is dropped, and every further
 * raw row of a day already counted (a re-extracted version, merged) counts as `duplicate`.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { loadTransformSql } from "../transform/sql.ts";

/** The reasons in the order the transform checks them; a reason the SQL adds later is shown after them. */
export const DROP_REASONS = [
  "missing_price",
  "non_positive_price",
  "non_finite_price",
  "non_session",
  "duplicate",
  "missing_key",
] as const;

export interface RawOutcome {
  /** Every raw row of the ticker, in all raw files. */
  rawRows: number;
  /** (ticker, day) pairs that are sessions. */
  sessions: number;
  /** Raw rows dropped, per reason (only reasons that occur). */
  dropped: Record<string, number>;
}

/** Raw outcomes per ticker (rows without a ticker under `null`); needs the view raw_stocks on `db`. */
export async function rawOutcomes(
  db: DuckDBConnection,
  sqlDir?: string,
): Promise<Map<string | null, RawOutcome>> {
  const { statements } = await loadTransformSql(sqlDir);
  const text = (view: string) => {
    const statement = statements.find((s) => s.view === view);
    if (statement === undefined) throw new Error(`the transform SQL defines no view ${view}`);
    return statement.sql;
  };
  // The whole lake is the run: every raw file is its input and pending.
  await db.run("CREATE OR REPLACE TEMP VIEW raw_all AS SELECT * FROM raw_stocks");
  await db.run("CREATE OR REPLACE TEMP VIEW raw_input AS SELECT * FROM raw_all");
  await db.run("CREATE OR REPLACE TEMP VIEW raw_pending AS SELECT * FROM raw_all");
  // A newline before ")": a file may end with a comment.
  await db.run(`CREATE OR REPLACE TEMP TABLE raw_classified AS (\n${text("raw_classified")}\n)`);
  const counts = await db.runAndReadAll(`SELECT * FROM (\n${text("raw_counts")}\n)`);
  const outcomes = new Map<string | null, RawOutcome>();
  for (const row of counts.getRowObjectsJson()) {
    const ticker = row.nome_acao === null ? null : String(row.nome_acao);
    const n = Number(row.row_count);
    const outcome = outcomes.get(ticker) ?? { rawRows: 0, sessions: 0, dropped: {} };
    outcome.rawRows += n;
    if (row.drop_reason === null) outcome.sessions += n;
    else {
      const reason = String(row.drop_reason);
      outcome.dropped[reason] = (outcome.dropped[reason] ?? 0) + n;
    }
    outcomes.set(ticker, outcome);
  }
  return outcomes;
}
