/**
 * The daily extract: EventBridge Scheduler (CronV2) at 09:00 UTC runs the extract function, which
 * writes raw/ingestion_date=D/stocks_data.parquet into the data lake.
 *
 * Failures are never silent: the scheduler retries delivery and sends undeliverable events to the
 * dead-letter queue; Lambda retries a failed run twice and then sends the event to the same queue
 * (on-failure destination). alerts.ts alarms on the queue and on the function's Errors metric.
 */
import {
  deadLetterQueue,
  lambdaRole,
  logPermission,
  nodeBundle,
  sendToQueuePermission,
} from "./lambda";
import { physicalName, tickers } from "./names";
import { dataLake } from "./storage";

export const extractFunctionName = physicalName("b3_extract_function");

export const extractDeadLetter = deadLetterQueue("ExtractDeadLetter");

export const extract = new sst.aws.Function("Extract", {
  name: extractFunctionName,
  description: "Downloads daily B3 bars from Yahoo Finance into raw/ingestion_date=D/",
  handler: "packages/functions/src/extract.handler",
  runtime: "nodejs22.x",
  nodejs: nodeBundle,
  architecture: "arm64",
  // Starting point; to be tuned from bench measurements (bundle size, peak memory, duration).
  memory: "512 MB",
  timeout: "120 seconds",
  link: [dataLake],
  environment: tickers ? { B3_TICKERS: tickers } : {},
  permissions: [logPermission(extractFunctionName), sendToQueuePermission(extractDeadLetter)],
  retries: 2,
  transform: {
    role: lambdaRole,
    eventInvokeConfig: {
      destinationConfig: { onFailure: { destination: extractDeadLetter.arn } },
    },
  },
});

export const dailyExtract = new sst.aws.CronV2("DailyExtract", {
  function: extract,
  schedule: "cron(0 9 * * ? *)",
  timezone: "UTC",
  retries: 3,
  dlq: extractDeadLetter.arn,
  transform: { schedule: { name: physicalName("daily_b3_etl_trigger") } },
});
