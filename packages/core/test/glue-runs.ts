import { type GlueClient, StartJobRunCommand } from "@aws-sdk/client-glue";

/**
 * Starts `count` runs of the job for other raw files (`ingestion_date=2026-10-01/part-<i>.parquet`),
 * so that what a test looks for lies past GetJobRuns' first pages. `withIngestionDate` passes the
 * date argument too, as the trigger does.
 */
export async function startRunsForOtherFiles(
  glue: GlueClient,
  jobName: string,
  count: number,
  { withIngestionDate = false } = {},
): Promise<void> {
  for (let i = 0; i < count; i++) {
    await glue.send(
      new StartJobRunCommand({
        JobName: jobName,
        Arguments: {
          "--raw_path": `s3://b3-lake/raw/ingestion_date=2026-10-01/part-${i}.parquet`,
          ...(withIngestionDate ? { "--ingestion_date": "2026-10-01" } : {}),
        },
      }),
    );
  }
}
