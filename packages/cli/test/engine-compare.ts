/**
 * Reads the same SQL through DuckDB (the local twin's views) and through Trino, and lists every
 * difference: column names, column types, row counts and each value. Values are compared exactly:
 * doubles bit for bit (NaN and -0 included), bigints as integers, dates as days, timestamps as
 * microseconds since the epoch (so a timestamp Trino rounds to milliseconds is a difference).
 */

import {
  createLakeViews,
  TrinoQueryError,
  type TrinoRows,
  type TrinoSession,
  trinoQuery,
} from "@b3/core/query";
import { DuckDBInstance, type DuckDBValue } from "@duckdb/node-api";

export interface TypedRows {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

/** `sql` over the lake's DuckDB views, with DuckDB's column types and values as it gives them. */
export async function duckdbRows(lakeRoot: string, sql: string): Promise<TypedRows> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    await createLakeViews(connection, lakeRoot);
    const reader = await connection.runAndReadAll(sql);
    const names = reader.columnNames();
    const types = reader.columnTypes();
    return {
      columns: names.map((name, i) => ({ name, type: String(types[i]) })),
      rows: reader.getRows() as DuckDBValue[][],
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** One family name for a DuckDB or Trino type: `varchar`, `double`, `bigint`, `timestamp`, … */
export function typeFamily(type: string): string {
  const t = type.toLowerCase();
  if (t.startsWith("timestamp")) return "timestamp";
  if (t.startsWith("varchar")) return "varchar";
  return t;
}

/** A value in one exact, engine-independent text form for its type family. */
function canonical(value: unknown, family: string, options: CompareOptions): string {
  if (value === null || value === undefined) return "NULL";
  switch (family) {
    case "double":
    case "real": {
      const n = typeof value === "string" ? Number(value) : (value as number);
      if (typeof n !== "number") return `?${String(value)}`;
      return Object.is(n, -0) ? "-0" : String(n);
    }
    case "bigint":
    case "integer":
    case "smallint":
    case "tinyint":
      return BigInt(value as number | bigint).toString();
    case "timestamp": {
      const micros = timestampMicros(value);
      // Trino rounds to its precision half up (…123500 µs reads as …124 ms).
      return options.timestampMillis ? `${((micros + 500n) / 1000n) * 1000n}µs` : `${micros}µs`;
    }
    case "date":
      return String(value);
    default:
      return String(value);
  }
}

/** Microseconds since the epoch, UTC: from DuckDB's timestamp values or Trino's `YYYY-MM-DD HH:MM:SS.fff`. */
function timestampMicros(value: unknown): bigint {
  if (typeof value === "object" && value !== null && "micros" in value) {
    return (value as { micros: bigint }).micros;
  }
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,12}))?$/.exec(
    String(value),
  );
  if (!match) throw new Error(`not a timestamp: ${String(value)}`);
  const [, y, mo, d, h, mi, s, fraction = ""] = match;
  const seconds = BigInt(
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000,
  );
  const micros = BigInt(fraction.padEnd(6, "0").slice(0, 6));
  return seconds * 1_000_000n + micros;
}

export interface CompareOptions {
  /** Compare rows in the order given (queries with ORDER BY); otherwise as sorted multisets. */
  ordered?: boolean;
  /** Compare timestamps at Athena's precision for Hive tables, milliseconds, instead of exactly. */
  timestampMillis?: boolean;
}

/** Every difference between DuckDB's and Trino's answers (at most 50 values); [] when equal. */
export function differences(duck: TypedRows, trino: TypedRows, options: CompareOptions = {}) {
  const problems: string[] = [];
  const duckNames = duck.columns.map((c) => c.name);
  const trinoNames = trino.columns.map((c) => c.name);
  if (duckNames.join(",") !== trinoNames.join(",")) {
    problems.push(`columns differ: DuckDB ${duckNames.join(",")} / Trino ${trinoNames.join(",")}`);
    return problems;
  }
  const families = duck.columns.map((c, i) => {
    const d = typeFamily(c.type);
    const t = typeFamily(trino.columns[i]?.type ?? "");
    const duckdbName: Record<string, string> = {
      varchar: "varchar",
      double: "double",
      float: "real",
      bigint: "bigint",
      integer: "integer",
      smallint: "smallint",
      tinyint: "tinyint",
      boolean: "boolean",
      date: "date",
      timestamp: "timestamp",
    };
    if ((duckdbName[d] ?? d) !== t) {
      problems.push(`column ${c.name}: DuckDB reads ${c.type}, Trino ${trino.columns[i]?.type}`);
    }
    return duckdbName[d] ?? d;
  });
  const toKeys = (rows: unknown[][]) =>
    rows.map((row) => row.map((v, i) => canonical(v, families[i] ?? "", options)));
  let d = toKeys(duck.rows);
  let t = toKeys(trino.rows);
  if (!options.ordered) {
    const byKey = (a: string[], b: string[]) => {
      const x = a.join("\u0001");
      const y = b.join("\u0001");
      return x < y ? -1 : x > y ? 1 : 0;
    };
    d = [...d].sort(byKey);
    t = [...t].sort(byKey);
  }
  if (d.length !== t.length) {
    problems.push(`row count: DuckDB ${d.length}, Trino ${t.length}`);
  }
  let shown = 0;
  for (let r = 0; r < Math.min(d.length, t.length) && shown < 50; r++) {
    for (let c = 0; c < duckNames.length; c++) {
      if (d[r]?.[c] !== t[r]?.[c]) {
        problems.push(`row ${r} ${duckNames[c]}: DuckDB ${d[r]?.[c]}, Trino ${t[r]?.[c]}`);
        if (++shown >= 50) break;
      }
    }
  }
  return problems;
}

/** Runs `sql` on both engines and returns the differences; a Trino error is one too. */
export async function compareEngines(
  lakeRoot: string,
  session: TrinoSession,
  sql: string,
  options: CompareOptions & { duckdbSql?: string } = {},
): Promise<{ problems: string[]; duck: TypedRows; trino?: TrinoRows }> {
  const duck = await duckdbRows(lakeRoot, options.duckdbSql ?? sql);
  let trino: TrinoRows;
  try {
    trino = await trinoQuery(session, sql);
  } catch (error) {
    if (error instanceof TrinoQueryError) return { problems: [`Trino: ${error.message}`], duck };
    throw error;
  }
  return { problems: differences(duck, trino, options), duck, trino };
}
