/**
 * The three lake tables as the Glue Data Catalog declares them: columns (Hive types), partition key,
 * storage format and table parameters, partition projection included. infra/catalog.ts creates the
 * Glue tables from these declarations, and the local Trino registers the very same ones, so a query
 * tried locally sees the tables Athena will see. Plain data: no AWS or Pulumi import, so the CLI and
 * the infra program can both load it.
 */

/**
 * The three lake tables, declared once in tables.json (columns, types, nullability, partition key,
 * comments): infra/catalog.ts creates the Glue tables from them, the local Trino registers the same
 * ones, DuckDB's views and the transform's raw check take their types, the raw Parquet writer its
 * schema, and the Glue job (Python) reads the same file for its Spark schemas. Plain data: no AWS or
 * Pulumi import, so the CLI, the Lambda bundle and the infra program can all load it.
 */
import declarations from "./tables.json" with { type: "json" };

/** The column types the lake uses, named as Glue (Hive) names them. */
export type LakeType = "string" | "date" | "double" | "bigint" | "int" | "boolean" | "timestamp";

/** A column as Glue stores it: a Hive type name and an optional comment. */
export interface LakeColumn {
  name: string;
  type: string;
  comment?: string;
}

/** A column as the lake declares it: Glue's fields plus whether a row may hold NULL there. */
export interface DeclaredColumn extends LakeColumn {
  type: LakeType;
  nullable: boolean;
}

export interface LakeTableDeclaration {
  /** The table name in the Glue database (and in Athena / Trino). */
  name: string;
  /** The folder under the lake root holding the table's files. */
  prefix: string;
  description: string;
  columns: readonly DeclaredColumn[];
  /** The one `date` partition column, projected from the folder names `<key>=YYYY-MM-DD/`. */
  datePartition?: string;
}

type TableName = keyof typeof declarations;
const declared = (name: TableName): LakeTableDeclaration =>
  ({ name, ...declarations[name] }) as LakeTableDeclaration;

export const RAW_STOCKS = declared("raw_stocks");
export const REFINED_STOCKS = declared("refined_stocks");
export const AGGREGATED_STOCKS = declared("aggregated_stocks");

/** DuckDB's type for each lake type; the lake's timestamps are UTC instants. */
export const DUCKDB_TYPES: Record<LakeType, string> = {
  string: "VARCHAR",
  date: "DATE",
  double: "DOUBLE",
  bigint: "BIGINT",
  int: "INTEGER",
  boolean: "BOOLEAN",
  timestamp: "TIMESTAMP WITH TIME ZONE",
};

/** `name TYPE, …` of a table in DuckDB's vocabulary, the partition column last. */
export function duckdbColumns(table: LakeTableDeclaration): { name: string; type: string }[] {
  return [...table.columns, ...lakePartitionKeys(table)].map((c) => ({
    name: c.name,
    type: DUCKDB_TYPES[c.type as LakeType],
  }));
}

/** First day Athena projects partitions for; any earlier quote is out of scope. */
export const PROJECTION_START = "2000-01-01";

/** Parquet through the Hive SerDe: what Glue, Athena and Trino's Hive connector all read as Parquet. */
export const PARQUET_STORAGE = {
  inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
  outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
  serDeInfo: {
    name: "parquet",
    serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
    parameters: { "serialization.format": "1" },
  },
} as const;

export const LAKE_TABLES: readonly LakeTableDeclaration[] = [
  RAW_STOCKS,
  REFINED_STOCKS,
  AGGREGATED_STOCKS,
];

/**
 * The Glue table parameters of `table` stored at `location` (its folder URI, ending in `/`): external
 * Parquet, and for a partitioned table Athena's partition projection over one day per folder from
 * PROJECTION_START to today, so a new day is visible with no MSCK REPAIR and no crawler.
 */
export function lakeTableParameters(
  table: LakeTableDeclaration,
  location: string,
): Record<string, string> {
  const key = table.datePartition;
  return {
    EXTERNAL: "TRUE",
    classification: "parquet",
    ...(key
      ? {
          "projection.enabled": "true",
          [`projection.${key}.type`]: "date",
          [`projection.${key}.range`]: `${PROJECTION_START},NOW`,
          [`projection.${key}.format`]: "yyyy-MM-dd",
          [`projection.${key}.interval`]: "1",
          [`projection.${key}.interval.unit`]: "DAYS",
          "storage.location.template": `${location}${key}=\${${key}}/`,
        }
      : {}),
  };
}

/** The partition keys Glue gets for `table`. */
export function lakePartitionKeys(table: LakeTableDeclaration): DeclaredColumn[] {
  return table.datePartition ? [{ name: table.datePartition, type: "date", nullable: false }] : [];
}

/** A table's columns as Glue stores them: name, type and comment, without the lake's nullability. */
export function glueColumns(columns: readonly DeclaredColumn[]): LakeColumn[] {
  return columns.map(({ name, type, comment }) => ({
    name,
    type,
    ...(comment === undefined ? {} : { comment }),
  }));
}

/**
 * A table as the Glue Data Catalog holds it: what infra/catalog.ts declares, and what the infra tests
 * read back from the synthesized stack. The local Trino registers exactly this shape.
 */
export interface GlueTableDefinition {
  name: string;
  description?: string;
  columns: readonly LakeColumn[];
  partitionKeys: readonly LakeColumn[];
  /** The table's folder URI, ending in `/` (s3://bucket/raw/ in the cloud). */
  location: string;
  inputFormat: string;
  outputFormat?: string;
  serializationLibrary: string;
  parameters: Record<string, string>;
}

/** The Glue definition of `table` with its files under `lakeRoot` (a URI such as s3://bucket). */
export function glueTableDefinition(
  table: LakeTableDeclaration,
  lakeRoot: string,
): GlueTableDefinition {
  const location = `${lakeRoot.replace(/\/+$/, "")}/${table.prefix}/`;
  return {
    name: table.name,
    description: table.description,
    columns: glueColumns(table.columns),
    partitionKeys: glueColumns(lakePartitionKeys(table)),
    location,
    inputFormat: PARQUET_STORAGE.inputFormat,
    outputFormat: PARQUET_STORAGE.outputFormat,
    serializationLibrary: PARQUET_STORAGE.serDeInfo.serializationLibrary,
    parameters: lakeTableParameters(table, location),
  };
}
