/**
 * Deploys from GitHub Actions without stored keys: the GitHub OIDC provider and a role that only
 * workflows running on this repository's `main` branch can assume. Created on permanent stages only.
 *
 * The role is named outside the `<app>-<stage>-` prefix its own policy may manage, so a workflow
 * cannot rewrite its own permissions: changes to this file are deployed from a laptop by an admin
 * (docs/DEPLOY.md, "Bootstrapping the OIDC role").
 */

import { workgroupName } from "./athena";
import { databaseName } from "./catalog";
import { dailyScheduleName, extractFunctionName } from "./extract";
import {
  accountId,
  existingGithubOidcProviderArn,
  githubRepository,
  isPermanentStage,
  namePrefix,
  partition,
  region,
} from "./names";
import { transformJobName, triggerFunctionName } from "./transform";

export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";

/**
 * One row of the deploy policy: a service, the actions a deploy calls on it (space-separated,
 * without the `service:` prefix), the resources they act on and why. A resource is what follows
 * `arn:<partition>:<service>:<region>:<account>:` (S3: `arn:<partition>:s3:::`, IAM:
 * `arn:<partition>:iam::<account>:`); `*` stays `*`.
 */
interface DeployGrant {
  sid: string;
  service: string;
  actions: string;
  resources: string[];
  conditions?: { test: string; variable: string; values: string[] }[];
  why: string;
}

const lambdaFunctions = [extractFunctionName, triggerFunctionName];
const logGroups = [
  ...lambdaFunctions.map((name) => `/aws/lambda/${name}`),
  `/aws-glue/jobs/${transformJobName}`,
];

/** What `sst deploy` of this stage needs, scoped to the stage's own names wherever AWS allows it. */
const DEPLOY_POLICY: DeployGrant[] = [
  {
    sid: "WhoAmI",
    service: "sts",
    actions: "GetCallerIdentity",
    resources: ["*"],
    why: "The CLI and the AWS provider check their credentials; STS has no resource-level permissions.",
  },
  {
    sid: "SstBootstrapAndSecrets",
    service: "ssm",
    actions: "GetParameter GetParameters GetParametersByPath PutParameter",
    resources: ["parameter/sst/*"],
    why: "SST keeps its bootstrap record and the app's secrets under /sst/.",
  },
  {
    sid: "SstStateAndAssetBuckets",
    service: "s3",
    actions: "ListBucket GetBucketLocation GetObject PutObject DeleteObject",
    resources: ["sst-state-*", "sst-state-*/*", "sst-asset-*", "sst-asset-*/*"],
    why: "SST's state and the function bundles live in its bootstrap buckets.",
  },
  {
    sid: "StageBuckets",
    service: "s3",
    actions: `CreateBucket DeleteBucket ListBucket ListBucketVersions GetBucket* PutBucket*
      DeleteBucketPolicy GetAccelerateConfiguration GetEncryptionConfiguration
      PutEncryptionConfiguration GetLifecycleConfiguration PutLifecycleConfiguration
      GetReplicationConfiguration`,
    resources: [`${namePrefix}-*`],
    why: "The stage's three buckets and their settings (SST names them `<app>-<stage>-…`).",
  },
  {
    sid: "GlueAssetObjects",
    service: "s3",
    actions: "GetObject PutObject DeleteObject DeleteObjectVersion",
    resources: [`${namePrefix}-glueassets*/*`],
    why: "Uploads of the Glue script and SQL; temporary stages' buckets are emptied on removal.",
  },
  {
    sid: "StageRoles",
    service: "iam",
    actions: `CreateRole DeleteRole GetRole UpdateRole UpdateRoleDescription UpdateAssumeRolePolicy
      TagRole UntagRole PutRolePolicy GetRolePolicy DeleteRolePolicy ListRolePolicies
      ListAttachedRolePolicies ListInstanceProfilesForRole`,
    resources: [`role/${namePrefix}-*`],
    why: "The roles of the functions, the schedule and the Glue job (not the deploy role itself).",
  },
  {
    sid: "PassStageRoles",
    service: "iam",
    actions: "PassRole",
    resources: [`role/${namePrefix}-*`],
    conditions: [
      {
        test: "StringEquals",
        variable: "iam:PassedToService",
        values: ["lambda.amazonaws.com", "glue.amazonaws.com", "scheduler.amazonaws.com"],
      },
    ],
    why: "Those roles go to the services that run with them, and to no other.",
  },
  {
    sid: "ReadOidcProvider",
    service: "iam",
    actions: "GetOpenIDConnectProvider",
    resources: [`oidc-provider/${GITHUB_OIDC_HOST}`],
    why: "A deploy reads the GitHub OIDC provider the stack declares; only an admin changes it.",
  },
  {
    sid: "StageFunctions",
    service: "lambda",
    // Named one by one: lambda:Get*/List* would also grant account, layer, code-signing and
    // event-source-mapping actions that a grant on function ARNs never authorizes.
    actions: `CreateFunction DeleteFunction GetFunction GetFunctionConfiguration GetFunctionCodeSigningConfig
      GetFunctionConcurrency GetFunctionEventInvokeConfig GetFunctionUrlConfig GetPolicy
      GetRuntimeManagementConfig GetAlias ListAliases ListVersionsByFunction ListTags
      ListFunctionEventInvokeConfigs ListFunctionUrlConfigs ListProvisionedConcurrencyConfigs
      UpdateFunctionCode UpdateFunctionConfiguration PublishVersion TagResource UntagResource
      AddPermission RemovePermission PutFunctionEventInvokeConfig UpdateFunctionEventInvokeConfig
      DeleteFunctionEventInvokeConfig`,
    resources: lambdaFunctions.flatMap((name) => [`function:${name}`, `function:${name}:*`]),
    why: "The two functions, their versions, retry settings and the S3 invoke permission.",
  },
  {
    sid: "StageLogGroups",
    service: "logs",
    actions: `CreateLogGroup DeleteLogGroup PutRetentionPolicy DeleteRetentionPolicy TagResource
      UntagResource ListTagsForResource TagLogGroup ListTagsLogGroup`,
    resources: [
      ...logGroups.map((name) => `log-group:${name}`),
      ...logGroups.map((name) => `log-group:${name}:*`),
    ],
    why: "The log groups of the functions and of the Glue job, with their retention.",
  },
  {
    sid: "ListLogGroups",
    service: "logs",
    actions: "DescribeLogGroups",
    resources: ["*"],
    why: "DescribeLogGroups has no resource-level permissions: AWS authorizes it on * only.",
  },
  {
    sid: "StageQueues",
    service: "sqs",
    actions: `CreateQueue DeleteQueue GetQueueAttributes SetQueueAttributes GetQueueUrl TagQueue
      UntagQueue ListQueueTags`,
    resources: [`${namePrefix}-*`],
    why: "The dead-letter queues.",
  },
  {
    sid: "StageTopic",
    service: "sns",
    actions: `CreateTopic DeleteTopic GetTopicAttributes SetTopicAttributes TagResource UntagResource
      ListTagsForResource Subscribe`,
    resources: [`${namePrefix}-*`],
    why: "The alerts topic, its policy and its e-mail subscription.",
  },
  {
    sid: "TopicSubscriptions",
    service: "sns",
    actions: "Unsubscribe GetSubscriptionAttributes SetSubscriptionAttributes",
    resources: ["*"],
    why: "Calls on the e-mail subscription itself, which AWS authorizes on * only.",
  },
  {
    sid: "StageEventRules",
    service: "events",
    actions: `PutRule DeleteRule DescribeRule PutTargets RemoveTargets ListTargetsByRule TagResource
      UntagResource ListTagsForResource`,
    resources: [`rule/${namePrefix}-*`],
    why: "The rule that forwards Glue job failures to the alerts topic.",
  },
  {
    sid: "StageSchedule",
    service: "scheduler",
    actions: "CreateSchedule UpdateSchedule DeleteSchedule GetSchedule",
    resources: [`schedule/default/${dailyScheduleName}`],
    why: "The daily extract schedule.",
  },
  {
    sid: "StageAlarms",
    service: "cloudwatch",
    actions: `PutMetricAlarm DeleteAlarms DescribeAlarms TagResource UntagResource
      ListTagsForResource`,
    resources: [`alarm:${namePrefix}-*`],
    why: "The alarms on function errors and dead-letter queues.",
  },
  {
    sid: "StageGlue",
    service: "glue",
    actions: `CreateJob UpdateJob DeleteJob GetJob CreateDatabase UpdateDatabase DeleteDatabase
      GetDatabase CreateTable UpdateTable DeleteTable GetTable GetPartitionIndexes TagResource
      UntagResource GetTags`,
    resources: [
      "catalog",
      `database/${databaseName}`,
      `table/${databaseName}/*`,
      `userDefinedFunction/${databaseName}/*`,
      `job/${transformJobName}`,
    ],
    why: "The Glue job, the database and its tables; Glue authorizes database and table calls on the account's catalog too.",
  },
  {
    sid: "StageWorkgroup",
    service: "athena",
    actions: `CreateWorkGroup UpdateWorkGroup DeleteWorkGroup GetWorkGroup TagResource UntagResource
      ListTagsForResource CreateNamedQuery GetNamedQuery DeleteNamedQuery UpdateNamedQuery
      BatchGetNamedQuery ListNamedQueries`,
    resources: [`workgroup/${workgroupName}`],
    why: "The workgroup and its saved queries.",
  },
];

/** The policy statements of the table: one per row, in its order. */
function deployStatements(): aws.types.input.iam.GetPolicyDocumentStatementArgs[] {
  return DEPLOY_POLICY.map(({ sid, service, actions, resources, conditions }) => ({
    sid,
    actions: actions
      .trim()
      .split(/\s+/)
      .map((action) => `${service}:${action}`),
    resources: resources.map((resource) => arnOf(service, resource)),
    ...(conditions ? { conditions } : {}),
  }));
}

function arnOf(service: string, resource: string): $util.Input<string> {
  if (resource === "*") return resource;
  if (service === "s3") return $interpolate`arn:${partition}:s3:::${resource}`;
  if (service === "iam") return $interpolate`arn:${partition}:iam::${accountId}:${resource}`;
  return $interpolate`arn:${partition}:${service}:${region}:${accountId}:${resource}`;
}

function createDeployAccess() {
  const repository = githubRepository();
  const subject = `repo:${repository}:ref:refs/heads/main`;

  const providerArn: $util.Input<string> =
    existingGithubOidcProviderArn ??
    new aws.iam.OpenIdConnectProvider("GithubOidcProvider", {
      url: `https://${GITHUB_OIDC_HOST}`,
      clientIdLists: ["sts.amazonaws.com"],
    }).arn;

  const trustPolicy = aws.iam.getPolicyDocumentOutput({
    statements: [
      {
        sid: "GithubMainBranchOnly",
        effect: "Allow",
        actions: ["sts:AssumeRoleWithWebIdentity"],
        principals: [{ type: "Federated", identifiers: [providerArn] }],
        conditions: [
          {
            test: "StringEquals",
            variable: `${GITHUB_OIDC_HOST}:aud`,
            values: ["sts.amazonaws.com"],
          },
          { test: "StringEquals", variable: `${GITHUB_OIDC_HOST}:sub`, values: [subject] },
        ],
      },
    ],
  });

  const deployPolicy = aws.iam.getPolicyDocumentOutput({ statements: deployStatements() });

  const role = new aws.iam.Role("GithubDeployRole", {
    // Deliberately outside `${namePrefix}-*` (see the header of this file).
    name: `github-deploy-${$app.name}-${$app.stage}`,
    description: `GitHub Actions deploys of ${$app.name} stage ${$app.stage} from ${repository}@main`,
    assumeRolePolicy: trustPolicy.json,
    maxSessionDuration: 3600,
    inlinePolicies: [{ name: "deploy", policy: deployPolicy.json }],
  });

  return { role, repository, subject };
}

export const githubDeploy = isPermanentStage ? createDeployAccess() : undefined;
