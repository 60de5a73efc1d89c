/**
 * Athena: workgroup `etl_workgroup_<stage>` (its settings enforced on every query) and a few saved
 * queries. Results go to s3://<AthenaResults>/query_results/, SSE-S3 encrypted, expired after 30 days.
 */
import { aggregatedTable, database, refinedTable } from "./catalog";
import { athenaBytesScannedCutoff, isPermanentStage, physicalName } from "./names";
import { athenaResults } from "./storage";

export const workgroupName = physicalName("etl_workgroup");

export const workgroup = new aws.athena.Workgroup("Workgroup", {
  name: workgroupName,
  description: "B3 pipeline queries (results expire after 30 days)",
  state: "ENABLED",
  // Temporary stages drop their query history with the workgroup; prod keeps it.
  forceDestroy: !isPermanentStage,
  configuration: {
    enforceWorkgroupConfiguration: true,
    publishCloudwatchMetricsEnabled: true,
    bytesScannedCutoffPerQuery: athenaBytesScannedCutoff,
    engineVersion: { selectedEngineVersion: "Athena engine version 3" },
    resultConfiguration: {
      outputLocation: $interpolate`s3://${athenaResults.name}/query_results/`,
      encryptionConfiguration: { encryptionOption: "SSE_S3" },
    },
  },
});

/** Saved queries, listed in the Athena console under the workgroup. */
export const namedQueries = [
  {
    logicalName: "LatestQuotesQuery",
    name: "latest_quotes",
    description: "Closing quote of each ticker on the newest session in refined_stocks",
    query: `-- Newest session per ticker (looks back 15 days so projection reads few partitions)
SELECT nome_acao, data_pregao, abertura, max, min, fechamento, volume_negociado
FROM (
  SELECT *, row_number() OVER (PARTITION BY nome_acao ORDER BY data_pregao DESC) AS rn
  FROM refined_stocks
  WHERE data_pregao >= current_date - INTERVAL '15' DAY
)
WHERE rn = 1
ORDER BY nome_acao;`,
  },
  {
    logicalName: "MovingAverageQuery",
    name: "moving_average_7d_by_ticker",
    description: "Close and 7-session moving average per ticker over the last 90 days",
    query: `SELECT nome_acao, data_pregao, fechamento, media_movel_7d,
       fechamento - media_movel_7d AS distancia_da_media
FROM refined_stocks
WHERE data_pregao >= current_date - INTERVAL '90' DAY
ORDER BY nome_acao, data_pregao;`,
  },
  {
    logicalName: "MonthlyVolumeQuery",
    name: "monthly_volume",
    description: "Monthly traded volume and mean close per ticker",
    query: `SELECT nome_acao, mes_referencia, volume_total, preco_medio_fechamento, dias_pregao, mes_fechado,
       mes_completo
FROM aggregated_stocks
ORDER BY mes_referencia DESC, nome_acao;`,
  },
].map(
  (q) =>
    new aws.athena.NamedQuery(
      q.logicalName,
      {
        name: q.name,
        description: q.description,
        workgroup: workgroup.name,
        database: database.name,
        query: q.query,
      },
      { dependsOn: [refinedTable, aggregatedTable] },
    ),
);
