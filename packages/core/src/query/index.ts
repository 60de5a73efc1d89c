/** The query domain: SQL over a lake with DuckDB or a local Trino, and over a deployed stage with Athena. */

export * from "./athena.ts";
export * from "./errors.ts";
export * from "./lake-duckdb.ts";
export * from "./result.ts";
export * from "./trino-client.ts";
export * from "./trino-install.ts";
export * from "./trino-lake.ts";
export * from "./trino-server.ts";
