/** The lake domain: folder and S3 storage behind one interface, the table layout and declarations, the raw Parquet format, the writers' lock and the crash-safe publish. */

export * from "./errors.ts";
export * from "./layout.ts";
export * from "./local-lake.ts";
export * from "./lock.ts";
export * from "./open-lake.ts";
export * from "./publish.ts";
export * from "./raw-parquet.ts";
export * from "./raw-parquet-read.ts";
export * from "./s3-lake.ts";
export * from "./storage.ts";
export * from "./tables.ts";
