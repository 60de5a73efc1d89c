/** A small client of Trino's HTTP statement protocol (POST /v1/statement, then follow nextUri). */
import { TrinoQueryError } from "./errors.ts";
import type { QueryResult } from "./result.ts";

export interface TrinoColumn {
  name: string;
  /** Trino's type, e.g. `varchar`, `double`, `timestamp(3)`, `array(integer)`. */
  type: string;
}

export interface TrinoRows {
  columns: TrinoColumn[];
  /** Values as Trino sends them; integers beyond 2^53 come back as bigint, exactly. */
  rows: unknown[][];
  /** Set by statements that change something (CREATE TABLE, DROP TABLE…). */
  updateType?: string;
}

export interface TrinoSession {
  /** e.g. http://127.0.0.1:41234 */
  endpoint: string;
  catalog?: string;
  schema?: string;
}

interface StatementPage {
  id?: string;
  nextUri?: string;
  columns?: TrinoColumn[];
  data?: unknown[][];
  updateType?: string;
  error?: {
    message: string;
    errorName?: string;
    errorLocation?: { lineNumber: number; columnNumber: number };
  };
}

/**
 * Runs one statement and returns all its rows. A trailing `;` is dropped (Athena accepts one, Trino's
 * protocol does not). The session runs in UTC, as Athena does, and asks for timestamps at their own
 * precision, so none is rounded on the way.
 */
export async function trinoQuery(session: TrinoSession, sql: string): Promise<TrinoRows> {
  const statement = sql.trim().replace(/;\s*$/, "");
  const headers: Record<string, string> = {
    "X-Trino-User": "b3",
    "X-Trino-Source": "b3-cli",
    "X-Trino-Time-Zone": "UTC",
    "X-Trino-Client-Capabilities": "PARAMETRIC_DATETIME",
  };
  if (session.catalog) headers["X-Trino-Catalog"] = session.catalog;
  if (session.schema) headers["X-Trino-Schema"] = session.schema;
  let page = await fetchPage(
    `${session.endpoint}/v1/statement`,
    { method: "POST", body: statement, headers },
    statement,
  );
  let columns: TrinoColumn[] | undefined;
  const rows: unknown[][] = [];
  for (;;) {
    if (page.columns) columns = page.columns.map((c) => ({ name: c.name, type: c.type }));
    if (page.data) rows.push(...page.data);
    if (page.error) {
      const at = page.error.errorLocation;
      const where = at ? ` (line ${at.lineNumber}, column ${at.columnNumber})` : "";
      throw new TrinoQueryError("QueryFailed", `${page.error.message}${where}`, {
        errorName: page.error.errorName,
        sql: statement,
      });
    }
    if (!page.nextUri) break;
    page = await fetchPage(page.nextUri, { headers: { "X-Trino-User": "b3" } }, statement);
  }
  return {
    columns: columns ?? [],
    rows,
    ...(page.updateType ? { updateType: page.updateType } : {}),
  };
}

async function fetchPage(url: string, init: RequestInit, sql: string): Promise<StatementPage> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, init);
    // 429/502/503/504 mean "ask again" in Trino's protocol.
    if ([429, 502, 503, 504].includes(response.status) && attempt < 20) {
      await response.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 50 * (attempt + 1)));
      continue;
    }
    const text = await response.text();
    if (!response.ok) {
      throw new TrinoQueryError(
        "HttpError",
        `Trino answered HTTP ${response.status}: ${text.slice(0, 500)}`,
        { sql },
      );
    }
    return parseExact(text) as StatementPage;
  }
}

/** JSON.parse, but integers too large for a double are kept exact as bigint. */
function parseExact(text: string): unknown {
  return JSON.parse(text, (_key, value, context?: { source?: string }) =>
    typeof value === "number" &&
    !Number.isSafeInteger(value) &&
    context?.source !== undefined &&
    /^-?\d+$/.test(context.source)
      ? BigInt(context.source)
      : value,
  );
}

/**
 * Trino's rows as the plain values a query result holds, the same shapes the DuckDB engine gives:
 * numbers (bigints beyond 2^53 as text), booleans, null, and strings for dates, timestamps and
 * decimals in Trino's own text form (dates as YYYY-MM-DD).
 */
export function plainTrinoResult(result: TrinoRows): QueryResult {
  return {
    columns: result.columns.map((c) => c.name),
    rows: result.rows.map((row) => row.map((value, i) => plain(value, result.columns[i]?.type))),
  };
}

function plain(value: unknown, type = ""): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" || typeof value === "boolean") return value;
  // Trino sends NaN and ±Infinity of double and real columns as strings.
  if (typeof value === "string" && /^(double|real)$/.test(type)) return Number(value);
  if (typeof value === "string") return value;
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}
