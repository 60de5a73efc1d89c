/** Scheduled extract: today's window for the configured tickers merged into s3://<DataLake>/raw/; fails the invocation when no ticker succeeded or the write is not confirmed. */

import { Logger } from "@aws-lambda-powertools/logger";
import { B3Error } from "@b3/core/errors";
// Module by module, not the package index: the bundle must not pull in the local engines (DuckDB).
import {
  createChartClient,
  type ExtractReport,
  extractToLake,
  extractWindow,
  reportSummary,
  tickersFromEnv,
} from "@b3/core/extract";
import { createS3Client, s3Lake } from "@b3/core/lake";
import { Resource } from "sst";

const logger = new Logger({ serviceName: "b3-extract" });
// Module scope: reused across warm invocations.
const s3 = createS3Client();

export async function handler() {
  let report: ExtractReport;
  try {
    report = await extractToLake({
      tickers: tickersFromEnv(process.env.B3_TICKERS),
      window: extractWindow({ now: new Date() }),
      lake: s3Lake({ bucket: Resource.DataLake.name, client: s3 }),
      fetchChart: createChartClient(),
    });
  } catch (error) {
    // The runtime logs the thrown message; what to do about it is logged beside it.
    if (error instanceof B3Error && error.remedy !== undefined) {
      logger.error("extract failed", { error: error.message, remedy: error.remedy });
    }
    throw error;
  }
  const summary = reportSummary(report);
  if (report.uncertainWrite !== undefined) {
    logger.error("extract could not confirm the write", { summary });
    throw new Error(`extract: ${report.uncertainWrite}`);
  }
  if (report.status === "failed") {
    logger.error("extract wrote nothing", { summary });
    // Failing the invocation lets the schedule's retries, DLQ and alarms see it.
    throw new Error(
      `extract wrote nothing: ${summary.tickersFailed.map((f) => `${f.ticker}: ${f.reason}`).join("; ")}`,
    );
  }
  const clean = report.status === "ok" && report.replacedCorrupt === undefined;
  (clean ? logger.info : logger.warn).call(logger, "extract finished", { summary });
  return summary;
}
