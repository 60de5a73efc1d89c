/** The first run's stand-ins for shared SQL text give what the text itself gives. */
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { withKeysAllInRun } from "../src/transform/first-run.ts";
import { loadTransformSql } from "../src/transform/sql.ts";
import { GOLDEN } from "./golden.ts";

describe("withKeysAllInRun", () => {
  it("finds 01's key joins and, with the run's file as the only pending raw file, classifies every key as 01 does", async () => {
    const sql = await loadTransformSql();
    const text = sql.statements.find((s) => s.view === "raw_classified")?.sql ?? "";
    const narrowed = withKeysAllInRun(text);
    expect(narrowed, "01 still ends with the in_run / is_pending joins").not.toBeNull();
    expect(narrowed).not.toMatch(/JOIN (run_keys|pending_keys)/);

    const instance = await DuckDBInstance.create(":memory:");
    const db = await instance.connect();
    try {
      const raw = `SELECT * FROM read_parquet('${join(GOLDEN, "stocks_data.parquet")}')`;
      for (const view of ["raw_input", "raw_all", "raw_pending"])
        await db.run(`CREATE VIEW ${view} AS ${raw}`);
      const rows = async (body: string) =>
        (
          await db.runAndReadAll(`SELECT * FROM (\n${body}\n) ORDER BY nome_acao, data_pregao`)
        ).getRowsJson();
      const expected = await rows(text);
      expect(expected.length).toBeGreaterThan(10);
      expect(await rows(narrowed ?? "")).toEqual(expected);
    } finally {
      db.closeSync();
      instance.closeSync();
    }
  });

  it("leaves a text without those joins alone", () => {
    expect(withKeysAllInRun("SELECT 1")).toBeNull();
  });
});
