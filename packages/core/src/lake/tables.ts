/**
 * The three lake tables as the Glue Data Catalog declares them: columns (Hive types), partition key,
 * storage format and table parameters, partition projection included. infra/catalog.ts creates the
 * Glue tables from these declarations, and the local Trino registers the very same ones, so a query
 * tried locally sees the tables Athena will see. Plain data: no AWS or Pulumi import, so the CLI and
 * the infra program can both load it.
 */

/** A column as Glue stores it: a Hive type name (`string`, `int`, `bigint`, `double`, `date`, …). */
export interface LakeColumn {
  name: string;
  type: string;
  comment?: string;
}

export interface LakeTableDeclaration {
  /** The table name in the Glue database (and in Athena / Trino). */
  name: string;
  /** The folder under the lake root holding the table's files. */
  prefix: string;
  description: string;
  columns: readonly LakeColumn[];
  /** The one `date` partition column, projected from the folder names `<key>=YYYY-MM-DD/`. */
  datePartition?: string;
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

export const RAW_STOCKS: LakeTableDeclaration = {
  name: "raw_stocks",
  prefix: "raw",
  description: "Daily bars as Yahoo Finance sent them, one file per ingestion date",
  datePartition: "ingestion_date",
  columns: [
    { name: "ticker", type: "string" },
    { name: "trade_date", type: "date", comment: "exchange-local date (America/Sao_Paulo)" },
    { name: "open", type: "double" },
    { name: "high", type: "double" },
    { name: "low", type: "double" },
    { name: "close", type: "double" },
    { name: "adj_close", type: "double" },
    { name: "volume", type: "bigint" },
    { name: "ingested_at", type: "timestamp", comment: "UTC" },
  ],
};

export const REFINED_STOCKS: LakeTableDeclaration = {
  name: "refined_stocks",
  prefix: "refined",
  description: "One row per ticker and trading session, with 7-session moving average and lags",
  datePartition: "data_pregao",
  columns: [
    { name: "nome_acao", type: "string" },
    { name: "abertura", type: "double" },
    { name: "fechamento", type: "double" },
    { name: "max", type: "double" },
    { name: "min", type: "double" },
    { name: "volume_negociado", type: "bigint" },
    { name: "media_movel_7d", type: "double" },
    { name: "lag_1d", type: "double" },
    { name: "lag_2d", type: "double" },
    { name: "lag_3d", type: "double" },
    { name: "fechamento_ajustado", type: "double" },
  ],
};

export const AGGREGATED_STOCKS: LakeTableDeclaration = {
  name: "aggregated_stocks",
  prefix: "aggregated",
  description: "Monthly volume and mean close per ticker, recomputed from all refined history",
  columns: [
    { name: "nome_acao", type: "string" },
    { name: "mes_referencia", type: "date", comment: "first day of the month" },
    { name: "volume_total", type: "bigint" },
    { name: "preco_medio_fechamento", type: "double" },
    { name: "dias_pregao", type: "int" },
    { name: "mes_fechado", type: "boolean", comment: "false for the month of the newest session" },
  ],
};

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
export function lakePartitionKeys(table: LakeTableDeclaration): LakeColumn[] {
  return table.datePartition ? [{ name: table.datePartition, type: "date" }] : [];
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
    columns: table.columns,
    partitionKeys: lakePartitionKeys(table),
    location,
    inputFormat: PARQUET_STORAGE.inputFormat,
    outputFormat: PARQUET_STORAGE.outputFormat,
    serializationLibrary: PARQUET_STORAGE.serDeInfo.serializationLibrary,
    parameters: lakeTableParameters(table, location),
  };
}
