/** Scheduled extract: today's window for the configured tickers into s3://<DataLake>/raw/; fails the invocation when no ticker succeeded. */
import { S3Client } from "@aws-sdk/client-s3";
import { Logger } from "@aws-lambda-powertools/logger";
import {
  createChartClient,
  extractToLake,
  extractWindow,
  reportSummary,
  s3Lake,
  tickersFromEnv,
} from "@b3/core";
import { Resource } from "sst";

const logger = new Logger({ serviceName: "b3-extract" });
const s3 = new S3Client({});

export async function handler() {
  const report = await extractToLake({
    tickers: tickersFromEnv(process.env.B3_TICKERS),
    window: extractWindow({ now: new Date() }),
    lake: s3Lake({ bucket: Resource.DataLake.name, client: s3 }),
    fetchChart: createChartClient(),
  });
  const summary = reportSummary(report);
  if (report.exitCode === 1) {
    logger.error("extract wrote nothing", { summary });
    // Failing the invocation lets the schedule's retries, DLQ and alarms see it.
    throw new Error(`extract wrote nothing: ${summary.tickersFailed.map((f) => `${f.ticker}: ${f.reason}`).join("; ")}`);
  }
  (report.exitCode === 0 ? logger.info : logger.warn).call(logger, "extract finished", { summary });
  return summary;
}
