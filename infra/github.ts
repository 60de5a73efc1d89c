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
import { extractFunctionName } from "./extract";
import {
  accountId,
  existingGithubOidcProviderArn,
  githubRepository,
  isPermanentStage,
  namePrefix,
  partition,
  physicalName,
  region,
} from "./names";
import { transformJobName, triggerFunctionName } from "./transform";

export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";

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

  const arn = (service: string, resource: string) =>
    $interpolate`arn:${partition}:${service}:${region}:${accountId}:${resource}`;
  const globalArn = (service: string, resource: string) =>
    $interpolate`arn:${partition}:${service}::${accountId}:${resource}`;
  const s3Arn = (resource: string) => $interpolate`arn:${partition}:s3:::${resource}`;

  const lambdaFunctions = [extractFunctionName, triggerFunctionName];
  const logGroups = [
    ...lambdaFunctions.map((name) => `/aws/lambda/${name}`),
    `/aws-glue/jobs/${transformJobName}`,
  ];

  const deployPolicy = aws.iam.getPolicyDocumentOutput({
    statements: [
      {
        // Credentials check by the CLI and the AWS provider; STS has no resource-level permissions.
        sid: "WhoAmI",
        actions: ["sts:GetCallerIdentity"],
        resources: ["*"],
      },
      {
        sid: "SstBootstrapAndSecrets",
        actions: [
          "ssm:GetParameter",
          "ssm:GetParameters",
          "ssm:GetParametersByPath",
          "ssm:PutParameter",
        ],
        resources: [arn("ssm", "parameter/sst/*")],
      },
      {
        sid: "SstStateAndAssetBuckets",
        actions: [
          "s3:ListBucket",
          "s3:GetBucketLocation",
          "s3:GetObject",
          "s3:PutObject",
          "s3:DeleteObject",
        ],
        resources: [
          s3Arn("sst-state-*"),
          s3Arn("sst-state-*/*"),
          s3Arn("sst-asset-*"),
          s3Arn("sst-asset-*/*"),
        ],
      },
      {
        sid: "StageBuckets",
        actions: [
          "s3:CreateBucket",
          "s3:DeleteBucket",
          "s3:ListBucket",
          "s3:ListBucketVersions",
          "s3:GetBucket*",
          "s3:PutBucket*",
          "s3:DeleteBucketPolicy",
          "s3:GetAccelerateConfiguration",
          "s3:GetEncryptionConfiguration",
          "s3:PutEncryptionConfiguration",
          "s3:GetLifecycleConfiguration",
          "s3:PutLifecycleConfiguration",
          "s3:GetReplicationConfiguration",
        ],
        resources: [s3Arn(`${namePrefix}-*`)],
      },
      {
        // Glue script and SQL uploads; temporary stages' buckets are emptied on removal.
        sid: "GlueAssetObjects",
        actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
        resources: [s3Arn(`${namePrefix}-glueassets*/*`)],
      },
      {
        sid: "StageRoles",
        actions: [
          "iam:CreateRole",
          "iam:DeleteRole",
          "iam:GetRole",
          "iam:UpdateRole",
          "iam:UpdateRoleDescription",
          "iam:UpdateAssumeRolePolicy",
          "iam:TagRole",
          "iam:UntagRole",
          "iam:PutRolePolicy",
          "iam:GetRolePolicy",
          "iam:DeleteRolePolicy",
          "iam:ListRolePolicies",
          "iam:ListAttachedRolePolicies",
          "iam:ListInstanceProfilesForRole",
        ],
        resources: [globalArn("iam", `role/${namePrefix}-*`)],
      },
      {
        sid: "PassStageRoles",
        actions: ["iam:PassRole"],
        resources: [globalArn("iam", `role/${namePrefix}-*`)],
        conditions: [
          {
            test: "StringEquals",
            variable: "iam:PassedToService",
            values: ["lambda.amazonaws.com", "glue.amazonaws.com", "scheduler.amazonaws.com"],
          },
        ],
      },
      {
        sid: "ReadOidcProvider",
        actions: ["iam:GetOpenIDConnectProvider"],
        resources: [globalArn("iam", `oidc-provider/${GITHUB_OIDC_HOST}`)],
      },
      {
        sid: "StageFunctions",
        actions: [
          "lambda:CreateFunction",
          "lambda:DeleteFunction",
          "lambda:Get*",
          "lambda:List*",
          "lambda:UpdateFunctionCode",
          "lambda:UpdateFunctionConfiguration",
          "lambda:PublishVersion",
          "lambda:TagResource",
          "lambda:UntagResource",
          "lambda:AddPermission",
          "lambda:RemovePermission",
          "lambda:PutFunctionEventInvokeConfig",
          "lambda:UpdateFunctionEventInvokeConfig",
          "lambda:DeleteFunctionEventInvokeConfig",
        ],
        resources: lambdaFunctions.flatMap((name) => [
          arn("lambda", `function:${name}`),
          arn("lambda", `function:${name}:*`),
        ]),
      },
      {
        sid: "StageLogGroups",
        actions: [
          "logs:CreateLogGroup",
          "logs:DeleteLogGroup",
          "logs:PutRetentionPolicy",
          "logs:DeleteRetentionPolicy",
          "logs:TagResource",
          "logs:UntagResource",
          "logs:ListTagsForResource",
          "logs:TagLogGroup",
          "logs:ListTagsLogGroup",
        ],
        resources: [
          ...logGroups.map((name) => arn("logs", `log-group:${name}`)),
          ...logGroups.map((name) => arn("logs", `log-group:${name}:*`)),
        ],
      },
      {
        // DescribeLogGroups is authorized on the account's log-group namespace, not on one group.
        sid: "ListLogGroups",
        actions: ["logs:DescribeLogGroups"],
        resources: [arn("logs", "log-group:*")],
      },
      {
        sid: "StageQueues",
        actions: [
          "sqs:CreateQueue",
          "sqs:DeleteQueue",
          "sqs:GetQueueAttributes",
          "sqs:SetQueueAttributes",
          "sqs:GetQueueUrl",
          "sqs:TagQueue",
          "sqs:UntagQueue",
          "sqs:ListQueueTags",
        ],
        resources: [arn("sqs", `${namePrefix}-*`)],
      },
      {
        sid: "StageTopic",
        actions: [
          "sns:CreateTopic",
          "sns:DeleteTopic",
          "sns:GetTopicAttributes",
          "sns:SetTopicAttributes",
          "sns:TagResource",
          "sns:UntagResource",
          "sns:ListTagsForResource",
          "sns:Subscribe",
          "sns:Unsubscribe",
          "sns:GetSubscriptionAttributes",
          "sns:SetSubscriptionAttributes",
        ],
        resources: [arn("sns", `${namePrefix}-*`)],
      },
      {
        sid: "StageEventRules",
        actions: [
          "events:PutRule",
          "events:DeleteRule",
          "events:DescribeRule",
          "events:PutTargets",
          "events:RemoveTargets",
          "events:ListTargetsByRule",
          "events:TagResource",
          "events:UntagResource",
          "events:ListTagsForResource",
        ],
        resources: [arn("events", `rule/${namePrefix}-*`)],
      },
      {
        sid: "StageSchedule",
        actions: [
          "scheduler:CreateSchedule",
          "scheduler:UpdateSchedule",
          "scheduler:DeleteSchedule",
          "scheduler:GetSchedule",
        ],
        resources: [arn("scheduler", `schedule/default/${physicalName("daily_b3_etl_trigger")}`)],
      },
      {
        sid: "StageAlarms",
        actions: [
          "cloudwatch:PutMetricAlarm",
          "cloudwatch:DeleteAlarms",
          "cloudwatch:DescribeAlarms",
          "cloudwatch:TagResource",
          "cloudwatch:UntagResource",
          "cloudwatch:ListTagsForResource",
        ],
        resources: [arn("cloudwatch", `alarm:${namePrefix}-*`)],
      },
      {
        sid: "StageGlue",
        actions: [
          "glue:CreateJob",
          "glue:UpdateJob",
          "glue:DeleteJob",
          "glue:GetJob",
          "glue:CreateDatabase",
          "glue:UpdateDatabase",
          "glue:DeleteDatabase",
          "glue:GetDatabase",
          "glue:CreateTable",
          "glue:UpdateTable",
          "glue:DeleteTable",
          "glue:GetTable",
          "glue:GetPartitionIndexes",
          "glue:TagResource",
          "glue:UntagResource",
          "glue:GetTags",
        ],
        resources: [
          arn("glue", "catalog"),
          arn("glue", `database/${databaseName}`),
          arn("glue", `table/${databaseName}/*`),
          arn("glue", `userDefinedFunction/${databaseName}/*`),
          arn("glue", `job/${transformJobName}`),
        ],
      },
      {
        sid: "StageWorkgroup",
        actions: [
          "athena:CreateWorkGroup",
          "athena:UpdateWorkGroup",
          "athena:DeleteWorkGroup",
          "athena:GetWorkGroup",
          "athena:TagResource",
          "athena:UntagResource",
          "athena:ListTagsForResource",
          "athena:CreateNamedQuery",
          "athena:GetNamedQuery",
          "athena:DeleteNamedQuery",
          "athena:UpdateNamedQuery",
          "athena:BatchGetNamedQuery",
          "athena:ListNamedQueries",
        ],
        resources: [arn("athena", `workgroup/${workgroupName}`)],
      },
    ],
  });

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
