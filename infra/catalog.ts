/**
 * Glue Data Catalog: database `b3_<stage>` and the three lake tables. Partitioned tables
 * use partition projection, so Athena sees a new day's partition with no MSCK REPAIR and no crawler.
 * The declarations themselves (columns, partition keys, parameters) live in
 * packages/core/src/lake/tables.json (through tables.ts), where the local Trino of `b3 query --engine trino` reads them too.
 */
import {
  AGGREGATED_STOCKS,
  glueColumns,
  type LakeTableDeclaration,
  lakePartitionKeys,
  lakeTableParameters,
  PARQUET_STORAGE,
  RAW_STOCKS,
  REFINED_STOCKS,
} from "../packages/core/src/lake/tables";
import { physicalName } from "./names";
import { dataLakeBucket } from "./storage";

export const databaseName = physicalName("b3");

export const database = new aws.glue.CatalogDatabase("CatalogDatabase", {
  name: databaseName,
  description: "B3 daily quotes: raw, refined and aggregated tables over the data lake",
});

function lakeTable(logicalName: string, table: LakeTableDeclaration) {
  const location = $interpolate`s3://${dataLakeBucket.name}/${table.prefix}/`;
  return new aws.glue.CatalogTable(logicalName, {
    name: table.name,
    databaseName: database.name,
    description: table.description,
    tableType: "EXTERNAL_TABLE",
    parameters: location.apply((l) => lakeTableParameters(table, l)),
    partitionKeys: glueColumns(lakePartitionKeys(table)),
    storageDescriptor: { ...PARQUET_STORAGE, location, columns: glueColumns(table.columns) },
  });
}

export const rawTable = lakeTable("RawStocksTable", RAW_STOCKS);
export const refinedTable = lakeTable("RefinedStocksTable", REFINED_STOCKS);
export const aggregatedTable = lakeTable("AggregatedStocksTable", AGGREGATED_STOCKS);
