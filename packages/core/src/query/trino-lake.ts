/**
 * The lake's tables in the local Trino, registered from the definitions the Glue Data Catalog gets
 * (lake-tables.ts), Athena's table parameters and partition projection included, over a local lake
 * folder. Each lake gets its own schema; a table is created again only when its definition changed.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  type GlueTableDefinition,
  glueTableDefinition,
  LAKE_TABLES,
  PARQUET_STORAGE,
} from "../lake/tables.ts";
import { TrinoQueryError } from "./errors.ts";
import type { QueryResult } from "./result.ts";
import { plainTrinoResult, type TrinoRows, type TrinoSession, trinoQuery } from "./trino-client.ts";
import { withFileLock } from "./trino-lock.ts";

export const TRINO_CATALOG = "hive";

/** The parameter under which a registered table keeps the hash of the definition it was created from. */
const DEFINITION_KEY = "b3.local.definition";

/** Parameters Trino sets itself on an external table: passing them again would be refused. */
const SET_BY_TRINO = new Set(["EXTERNAL"]);

/** Hive type names (as Glue stores them) to Trino's. */
function trinoType(hiveType: string, where: string): string {
  const type = hiveType.trim().toLowerCase();
  const simple: Record<string, string> = {
    string: "varchar",
    int: "integer",
    integer: "integer",
    tinyint: "tinyint",
    smallint: "smallint",
    bigint: "bigint",
    float: "real",
    double: "double",
    boolean: "boolean",
    date: "date",
    timestamp: "timestamp",
    binary: "varbinary",
  };
  if (simple[type]) return simple[type];
  if (/^(decimal|varchar|char)\(\s*\d+(\s*,\s*\d+)?\s*\)$/.test(type)) return type;
  throw new Error(`${where}: the Hive type ${hiveType} has no Trino equivalent here`);
}

const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;
const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** `local:///abs/path/` for a folder of this machine. */
export const localUri = (path: string) => `local://${resolve(path).replace(/\/+$/, "")}/`;

/**
 * The same definition with its files under `to` instead of `from` (the table location and every
 * parameter pointing under it, such as the projection's storage.location.template).
 */
export function relocateGlueTable(
  table: GlueTableDefinition,
  from: string,
  to: string,
): GlueTableDefinition {
  const base = (s: string) => s.replace(/\/*$/, "/");
  const [fromBase, toBase] = [base(from), base(to)];
  if (!table.location.startsWith(fromBase)) {
    throw new Error(`${table.name}: location ${table.location} is not under ${fromBase}`);
  }
  const move = (s: string) => (s.startsWith(fromBase) ? toBase + s.slice(fromBase.length) : s);
  return {
    ...table,
    location: move(table.location),
    parameters: Object.fromEntries(Object.entries(table.parameters).map(([k, v]) => [k, move(v)])),
  };
}

/** The CREATE TABLE statement that registers `table` in `schema`. */
export function createTableSql(
  schema: string,
  table: GlueTableDefinition,
  location = table.location,
): string {
  if (
    table.inputFormat !== PARQUET_STORAGE.inputFormat ||
    table.serializationLibrary !== PARQUET_STORAGE.serDeInfo.serializationLibrary
  ) {
    throw new Error(
      `${table.name}: only Parquet tables (${PARQUET_STORAGE.inputFormat}) can be registered`,
    );
  }
  if (table.parameters.EXTERNAL !== "TRUE") {
    throw new Error(`${table.name}: only external tables (EXTERNAL=TRUE) can be registered`);
  }
  const column = (c: { name: string; type: string; comment?: string }) =>
    `  ${ident(c.name)} ${trinoType(c.type, `${table.name}.${c.name}`)}${c.comment ? ` COMMENT ${literal(c.comment)}` : ""}`;
  const extra = Object.entries({
    ...table.parameters,
    [DEFINITION_KEY]: definitionHash(table, location),
  }).filter(([k]) => !SET_BY_TRINO.has(k));
  const withs = [
    "format = 'PARQUET'",
    `external_location = ${literal(location)}`,
    ...(table.partitionKeys.length
      ? [`partitioned_by = ARRAY[${table.partitionKeys.map((k) => literal(k.name)).join(", ")}]`]
      : []),
    // Athena's parameters verbatim (projection.*, storage.location.template, classification): the
    // Hive connector reads partition projection from exactly these keys, as Athena reads them from Glue.
    `extra_properties = MAP(ARRAY[${extra.map(([k]) => literal(k)).join(", ")}], ARRAY[${extra.map(([, v]) => literal(v)).join(", ")}])`,
  ];
  return [
    `CREATE TABLE ${ident(TRINO_CATALOG)}.${ident(schema)}.${ident(table.name)} (`,
    [...table.columns, ...table.partitionKeys].map(column).join(",\n"),
    ")",
    ...(table.description ? [`COMMENT ${literal(table.description)}`] : []),
    `WITH (\n  ${withs.join(",\n  ")}\n)`,
  ].join("\n");
}

function definitionHash(table: GlueTableDefinition, location: string): string {
  return createHash("sha256")
    .update(JSON.stringify({ table, location }))
    .digest("hex")
    .slice(0, 32);
}

export interface RegisterOptions {
  endpoint: string;
  schema: string;
  tables: readonly GlueTableDefinition[];
  /** An empty folder, used as the location of a table whose folder does not exist yet. */
  emptyDir: string;
}

/**
 * Creates `schema` and its tables as `tables` define them, each unless it is already registered
 * from the same definition. A table whose folder does not exist yet points at an empty folder, so
 * it answers with no rows (like the DuckDB views) until its data is written.
 */
export async function registerGlueTables(options: RegisterOptions): Promise<void> {
  const session: TrinoSession = { endpoint: options.endpoint, catalog: TRINO_CATALOG };
  const schema = ident(options.schema);
  await trinoQuery(session, `CREATE SCHEMA IF NOT EXISTS ${ident(TRINO_CATALOG)}.${schema}`);
  for (const table of options.tables) {
    const folder = table.location.startsWith("local://")
      ? table.location.slice("local://".length)
      : undefined;
    let location = table.location;
    if (folder !== undefined && !existsSync(folder)) {
      mkdirSync(options.emptyDir, { recursive: true });
      location = localUri(options.emptyDir);
    }
    const name = `${ident(TRINO_CATALOG)}.${schema}.${ident(table.name)}`;
    const registered = await registeredHash(session, options.schema, table.name);
    if (registered === definitionHash(table, location)) continue;
    // Dropping an external table removes its definition only, never the lake's files.
    if (registered !== undefined) await trinoQuery(session, `DROP TABLE ${name}`);
    await trinoQuery(session, createTableSql(options.schema, table, location));
  }
}

async function registeredHash(
  session: TrinoSession,
  schema: string,
  table: string,
): Promise<string | undefined> {
  try {
    const result = await trinoQuery(
      session,
      `SELECT * FROM ${ident(TRINO_CATALOG)}.${ident(schema)}.${ident(`${table}$properties`)}`,
    );
    const index = result.columns.findIndex((c) => c.name === DEFINITION_KEY);
    const value = index < 0 ? undefined : result.rows[0]?.[index];
    // A table registered by something else: replace it.
    return typeof value === "string" ? value : "";
  } catch (error) {
    if (
      error instanceof TrinoQueryError &&
      (error.errorName === "TABLE_NOT_FOUND" || error.errorName === "NOT_FOUND")
    )
      return undefined;
    throw error;
  }
}

/** The schema of the local lake at `lakeRoot`: one per folder, so two lakes never mix. */
export function lakeSchema(lakeRoot: string): string {
  const root = resolve(lakeRoot);
  return `lake_${createHash("sha256").update(root).digest("hex").slice(0, 16)}`;
}

/** The three tables as Glue declares them, with their files in the local lake at `lakeRoot`. */
export function localLakeTables(lakeRoot: string): GlueTableDefinition[] {
  return LAKE_TABLES.map((t) => glueTableDefinition(t, localUri(lakeRoot)));
}

export interface TrinoLakeQuery {
  endpoint: string;
  /** The server's run folder (for its empty placeholder folder). */
  runDir: string;
  lakeRoot: string;
  sql: string;
}

/** Runs `sql` in Trino over the local lake's raw_stocks, refined_stocks and aggregated_stocks. */
export async function queryLakeWithTrino(query: TrinoLakeQuery): Promise<QueryResult> {
  return plainTrinoResult(await queryLakeWithTrinoTyped(query));
}

/** The same, with Trino's column types and values as sent. */
export async function queryLakeWithTrinoTyped(query: TrinoLakeQuery): Promise<TrinoRows> {
  const schema = lakeSchema(query.lakeRoot);
  // Two queries starting together would both create a missing table: one registers at a time.
  await withFileLock(join(query.runDir, "register.lock"), { waitMs: 60_000 }, () =>
    registerGlueTables({
      endpoint: query.endpoint,
      schema,
      tables: localLakeTables(query.lakeRoot),
      emptyDir: join(query.runDir, "empty"),
    }),
  );
  return trinoQuery({ endpoint: query.endpoint, catalog: TRINO_CATALOG, schema }, query.sql);
}
