/** The transform domain: the shared SQL and the two engines that run it (DuckDB in-process, the Glue job on local Spark). */
export * from "./duckdb.ts";
export * from "./errors.ts";
export * from "./spark.ts";
export * from "./sql.ts";
export * from "./summary.ts";
