/**
 * What the infra tests hold the stack to from packages/core, imported here and nowhere else in
 * infra/test, so a move inside packages/core changes this one file.
 *
 * The DuckDB modules are loaded at run time: they import each other with `.ts` specifiers, which
 * the workspace's tsconfig accepts and tsconfig.infra.json (the SST program's) does not, so a static
 * import would fail `npm run typecheck`. Their signatures are restated as far as the tests use them.
 */
import type { QueryResult } from "../../packages/core/src/query/result";

export { rawKey } from "../../packages/core/src/lake/layout";
export { glueTableDefinition, LAKE_TABLES } from "../../packages/core/src/lake/tables";
export { stageNames } from "../../packages/core/src/stage";
export type { QueryResult };

const TRANSFORM = new URL("../../packages/core/src/transform/duckdb.ts", import.meta.url).href;
const LAKE_QUERY = new URL("../../packages/core/src/query/lake-duckdb.ts", import.meta.url).href;

/** The local transform (the same SQL files as the Glue job) over the raw file of `ingestionDate`. */
export async function transformWithDuckDB(options: {
  lakeRoot: string;
  ingestionDate: string;
}): Promise<void> {
  const core = (await import(TRANSFORM)) as {
    transformWithDuckDB(o: typeof options): Promise<unknown>;
  };
  await core.transformWithDuckDB(options);
}

/** `sql` over the DuckDB views raw_stocks, refined_stocks and aggregated_stocks of a local lake. */
export async function queryLake(lakeRoot: string, sql: string): Promise<QueryResult> {
  const core = (await import(LAKE_QUERY)) as {
    queryLake(root: string, sql: string): Promise<QueryResult>;
  };
  return core.queryLake(lakeRoot, sql);
}
