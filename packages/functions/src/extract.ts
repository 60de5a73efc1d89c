/** Scheduled extract: today's window for the configured tickers into s3://<DataLake>/raw/; fails the invocation when no ticker succeeded. */

import { Logger } from "@aws-lambda-powertools/logger";
import {
  createChartClient,
  createS3Client,
  extractToLake,
  extractWindow,
  reportSummary,
  s3Lake,
  tickersFromEnv,
} from "@b3/core";
import { Resource } from "sst";

const logger = new Logger({ serviceName: "b3-extract" });
// Module scope: reused across warm invocations.
const s3 = createS3Client();

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
    throw new Error(
      `extract wrote nothing: ${summary.tickersFailed.map((f) => `${f.ticker}: ${f.reason}`).join("; ")}`,
    );
  }
  (report.exitCode === 0 ? logger.info : logger.warn).call(logger, "extract finished", { summary });
  return summary;
}
