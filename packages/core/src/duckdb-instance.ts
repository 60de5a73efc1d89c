/** A new in-memory DuckDB instance, the engine of the local transform, query and report; @duckdb/node-api is loaded on first use. */
import { createRequire } from "node:module";
import type * as DuckDB from "@duckdb/node-api";

// require(), not import: @duckdb/node-api is CommonJS, and an ESM import of it has Node lex each of
// its files for named exports first, which costs a b3 command a noticeable share of its start-up.
// require() is the same module, same classes, without that step.
let api: typeof DuckDB | undefined;

export function createDuckDb(): Promise<DuckDB.DuckDBInstance> {
  api ??= createRequire(import.meta.url)("@duckdb/node-api") as typeof DuckDB;
  return api.DuckDBInstance.create(":memory:");
}
