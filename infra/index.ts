/**
 * The whole stack, one module per concern, created in this order: each module uses only
 * what the ones above it export.
 */
import "./storage";
import "./extract";
import "./transform";
import "./catalog";
import "./athena";
import "./alerts";
import "./github";

import { alarmsConsoleUrl, alertsTopic } from "./alerts";
import { workgroup } from "./athena";
import { database } from "./catalog";
import { extract } from "./extract";
import { githubDeploy } from "./github";
import { athenaResults, dataLakeBucket, glueAssets } from "./storage";
import { transformJob, triggerGlue } from "./transform";

/** What `sst deploy` prints, and what `b3 query --stage` and people need to find the stage. */
export const outputs = {
  dataLakeBucket: dataLakeBucket.name,
  glueAssetsBucket: glueAssets.name,
  athenaResultsBucket: athenaResults.name,
  extractFunction: extract.name,
  triggerFunction: triggerGlue.name,
  transformJob: transformJob.name,
  glueDatabase: database.name,
  athenaWorkgroup: workgroup.name,
  alertsTopic: alertsTopic.arn,
  alarms: alarmsConsoleUrl,
  ...(githubDeploy ? { githubDeployRoleArn: githubDeploy.role.arn } : {}),
};
