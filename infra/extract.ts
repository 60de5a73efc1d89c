/**
 * The daily extract: EventBridge Scheduler (CronV2) at 09:00 UTC runs the extract function, which
 * writes raw/ingestion_date=D/stocks_data.parquet into the data lake.
 *
 * Failures are never silent: the scheduler retries delivery and sends undeliverable events to the
 * function's dead-letter queue, where Lambda also sends a run that failed its retries (lambda.ts).
 * alerts.ts alarms on the queue and on the function's Errors metric.
 */
import { pipelineFunction } from "./lambda";
import { physicalName, tickers } from "./names";
import { dataLake } from "./storage";

export const extractFunctionName = physicalName("b3_extract_function");
export const dailyScheduleName = physicalName("daily_b3_etl_trigger");

export const { fn: extract, deadLetter: extractDeadLetter } = pipelineFunction("Extract", {
  name: extractFunctionName,
  description: "Downloads daily B3 bars from Yahoo Finance into raw/ingestion_date=D/",
  handler: "packages/functions/src/extract.handler",
  // Starting point; to be tuned from bench measurements (bundle size, peak memory, duration).
  memory: "512 MB",
  timeout: "120 seconds",
  link: [dataLake],
  environment: tickers ? { B3_TICKERS: tickers } : {},
});

export const dailyExtract = new sst.aws.CronV2("DailyExtract", {
  function: extract,
  schedule: "cron(0 9 * * ? *)",
  timezone: "UTC",
  retries: 3,
  dlq: extractDeadLetter.arn,
  transform: { schedule: { name: dailyScheduleName } },
});
