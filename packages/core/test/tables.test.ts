/**
 * The one table definition (src/lake/tables.json) against every consumer in this package: the raw
 * Parquet writer, the transform's raw check, DuckDB's views, the files the transform writes, and
 * the column tables of docs/ARCHITECTURE.md (regenerated with B3_UPDATE_DOCS=1). The Glue catalog
 * and the local Trino are checked in infra/test and packages/cli/test, the Spark schemas in
 * glue-scripts/tests.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawKey } from "../src/lake/layout.ts";
import { RAW_SCHEMA } from "../src/lake/raw-parquet.ts";
import {
  AGGREGATED_STOCKS,
  DUCKDB_TYPES,
  duckdbColumns,
  LAKE_TABLES,
  type LakeTableDeclaration,
  REFINED_STOCKS,
} from "../src/lake/tables.ts";
import { queryLake } from "../src/query/lake-duckdb.ts";
import { transformWithDuckDB } from "../src/transform/duckdb.ts";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const ARCHITECTURE = join(REPO, "docs", "ARCHITECTURE.md");

let lake: string;
beforeAll(async () => {
  lake = await mkdtemp(join(tmpdir(), "b3-tables-"));
  const raw = join(lake, rawKey("2018-01-11"));
  await mkdir(join(raw, ".."), { recursive: true });
  await copyFile(join(REPO, "glue-scripts/tests/golden/stocks_data.parquet"), raw);
  await transformWithDuckDB({ lakeRoot: lake, ingestionDate: "2018-01-11" });
});
afterAll(() => rm(lake, { recursive: true, force: true }));

/** `name TYPE` of every column DuckDB reads in `files`. */
async function describeFiles(files: string): Promise<string[]> {
  const db = await (await DuckDBInstance.create(":memory:")).connect();
  const rows = await db.runAndReadAll(
    `DESCRIBE SELECT * FROM read_parquet('${files}', hive_partitioning = false)`,
  );
  db.closeSync();
  return rows.getRowObjectsJson().map((r) => `${r.column_name} ${r.column_type}`);
}
const declared = (table: LakeTableDeclaration) =>
  table.columns.map((c) => `${c.name} ${DUCKDB_TYPES[c.type]}`);

describe("the table definition", () => {
  it("gives the raw Parquet writer its columns, order, types and repetition", () => {
    const [, ...columns] = RAW_SCHEMA;
    expect(columns.map((c) => `${c.name} ${c.repetition_type}`)).toEqual(
      LAKE_TABLES[0]?.columns.map((c) => `${c.name} ${c.nullable ? "OPTIONAL" : "REQUIRED"}`),
    );
  });

  it("matches what DuckDB reads in the raw, refined and aggregated files the pipeline writes", async () => {
    const [raw] = LAKE_TABLES;
    if (!raw) throw new Error("no raw table");
    expect(await describeFiles(join(lake, "raw/*/*.parquet"))).toEqual(declared(raw));
    expect(await describeFiles(join(lake, "refined/*/*.parquet"))).toEqual(
      declared(REFINED_STOCKS),
    );
    expect(await describeFiles(join(lake, "aggregated/*.parquet"))).toEqual(
      declared(AGGREGATED_STOCKS),
    );
  });

  it("is what the lake views expose, partition column last", async () => {
    for (const table of LAKE_TABLES) {
      const result = await queryLake(
        lake,
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${table.name}' ORDER BY ordinal_position`,
      );
      expect(
        result.rows.map(([name, type]) => `${name} ${type}`),
        table.name,
      ).toEqual(duckdbColumns(table).map((c) => `${c.name} ${c.type}`));
    }
  });

  it("holds no NULL where a column is declared not nullable", async () => {
    for (const table of LAKE_TABLES) {
      const required = table.columns.filter((c) => !c.nullable).map((c) => c.name);
      const nulls = await queryLake(
        lake,
        `SELECT count(*) FROM ${table.name} WHERE ${required.map((c) => `${c} IS NULL`).join(" OR ")}`,
      );
      expect(nulls.rows, table.name).toEqual([[0]]);
    }
  });

  it("is the column tables of docs/ARCHITECTURE.md", async () => {
    const text = await readFile(ARCHITECTURE, "utf8");
    const [before, rest] = text.split("<!-- tables:begin -->");
    const after = rest?.split("<!-- tables:end -->")[1];
    if (before === undefined || after === undefined) {
      throw new Error(`${ARCHITECTURE} has no <!-- tables:begin --> … <!-- tables:end --> block`);
    }
    const generated = `<!-- tables:begin -->\n${columnTables()}<!-- tables:end -->`;
    if (process.env.B3_UPDATE_DOCS === "1")
      await writeFile(ARCHITECTURE, before + generated + after);
    expect(text, "run B3_UPDATE_DOCS=1 vitest run packages/core/test/tables.test.ts").toContain(
      generated,
    );
  });
});

/** One Markdown table per lake table, from the declarations. */
function columnTables(): string {
  return LAKE_TABLES.map((table) => {
    const partition = table.datePartition
      ? `, partitioned by \`${table.datePartition}\` (date, one folder per day)`
      : "";
    const rows = table.columns.map(
      (c) => `| ${c.name} | ${c.type} | ${c.nullable ? "yes" : "no"} | ${c.comment ?? ""} |`,
    );
    return [
      `**${table.name}** — \`${table.prefix}/\`${partition}: ${table.description}.`,
      "",
      "| column | type | nullable | comment |",
      "| --- | --- | --- | --- |",
      ...rows,
      "",
    ].join("\n");
  }).join("\n");
}
