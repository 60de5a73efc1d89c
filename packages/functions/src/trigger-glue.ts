/** S3 notification on raw/*.parquet → starts the Glue transform job once for each new raw file; unreadable records are logged as warnings and skipped. */

import { Logger } from "@aws-lambda-powertools/logger";
import { GlueClient } from "@aws-sdk/client-glue";
import { startTransformRuns } from "@b3/core/trigger";
import { Resource } from "sst";

const logger = new Logger({ serviceName: "b3-trigger-glue" });
const glue = new GlueClient({});

export async function handler(event: unknown) {
  const result = await startTransformRuns({
    glue,
    jobName: Resource.TransformJob.name,
    event,
    log: (level, message, details) => logger[level](message, details),
  });
  logger.info("trigger finished", { result });
  return result;
}
