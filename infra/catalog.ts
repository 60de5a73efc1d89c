/**
 * Glue Data Catalog: database `b3_<stage>` and the three lake tables (DESIGN §4). Partitioned tables
 * use partition projection, so Athena sees a new day's partition with no MSCK REPAIR and no crawler.
 */
import { physicalName } from "./names";
import { dataLakeBucket } from "./storage";

export const databaseName = physicalName("b3");

export const database = new aws.glue.CatalogDatabase("CatalogDatabase", {
  name: databaseName,
  description: "B3 daily quotes: raw, refined and aggregated tables over the data lake",
});

type Column = { name: string; type: string; comment?: string };

/** First day Athena projects partitions for; any earlier quote is out of scope. */
export const PROJECTION_START = "2000-01-01";

const parquet = {
  inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
  outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
  serDeInfo: {
    name: "parquet",
    serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
    parameters: { "serialization.format": "1" },
  },
};

function lakeTable(
  logicalName: string,
  args: {
    name: string;
    prefix: string;
    description: string;
    columns: Column[];
    datePartition?: string;
  },
) {
  const location = $interpolate`s3://${dataLakeBucket.name}/${args.prefix}/`;
  const partition = args.datePartition;
  return new aws.glue.CatalogTable(logicalName, {
    name: args.name,
    databaseName: database.name,
    description: args.description,
    tableType: "EXTERNAL_TABLE",
    parameters: {
      EXTERNAL: "TRUE",
      classification: "parquet",
      ...(partition
        ? {
            "projection.enabled": "true",
            [`projection.${partition}.type`]: "date",
            [`projection.${partition}.range`]: `${PROJECTION_START},NOW`,
            [`projection.${partition}.format`]: "yyyy-MM-dd",
            [`projection.${partition}.interval`]: "1",
            [`projection.${partition}.interval.unit`]: "DAYS",
            "storage.location.template": $interpolate`s3://${dataLakeBucket.name}/${args.prefix}/${partition}=\${${partition}}/`,
          }
        : {}),
    },
    partitionKeys: partition ? [{ name: partition, type: "date" }] : [],
    storageDescriptor: { ...parquet, location, columns: args.columns },
  });
}

export const rawTable = lakeTable("RawStocksTable", {
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
});

export const refinedTable = lakeTable("RefinedStocksTable", {
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
});

export const aggregatedTable = lakeTable("AggregatedStocksTable", {
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
});
