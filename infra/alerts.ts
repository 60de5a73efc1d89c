/**
 * Alerts: one SNS topic for everything that needs a human.
 * - EventBridge: the Glue job ended FAILED, TIMEOUT or STOPPED.
 * - CloudWatch alarms: the extract or trigger function reported errors, or a failed invocation
 *   reached a dead-letter queue (scheduler delivery failures and Lambda on-failure destinations).
 * An e-mail subscription is added when B3_ALERT_EMAIL is set at deploy time.
 */
import { extractDeadLetter, extractFunctionName } from "./extract";
import { accountId, alertEmail, prefixedName, region } from "./names";
import { transformJobName, triggerDeadLetter, triggerFunctionName } from "./transform";

export const alertsTopic = new aws.sns.Topic("Alerts", {
  name: prefixedName("alerts"),
  displayName: "B3 pipeline alerts",
});

// --- Glue job state changes -------------------------------------------------------------------

export const glueFailureRule = new aws.cloudwatch.EventRule("TransformJobFailedRule", {
  name: prefixedName("transform-job-failed"),
  description: `Glue job ${transformJobName} ended FAILED, TIMEOUT or STOPPED`,
  eventPattern: JSON.stringify({
    source: ["aws.glue"],
    "detail-type": ["Glue Job State Change"],
    detail: { jobName: [transformJobName], state: ["FAILED", "TIMEOUT", "STOPPED"] },
  }),
});

new aws.cloudwatch.EventTarget("TransformJobFailedTarget", {
  rule: glueFailureRule.name,
  arn: alertsTopic.arn,
  inputTransformer: {
    inputPaths: {
      job: "$.detail.jobName",
      run: "$.detail.jobRunId",
      state: "$.detail.state",
      message: "$.detail.message",
      time: "$.time",
    },
    inputTemplate: '"Glue job <job> run <run> ended <state> at <time>: <message>"',
  },
});

// --- Lambda errors and dead-letter queues -----------------------------------------------------

/** Fires on a single event in a five-minute period (one failure is worth a look), mailed to the alerts topic. */
function anyEventAlarm(
  logicalName: string,
  alarmDescription: string,
  metric: Pick<
    aws.cloudwatch.MetricAlarmArgs,
    "namespace" | "metricName" | "dimensions" | "statistic"
  >,
) {
  return new aws.cloudwatch.MetricAlarm(logicalName, {
    name: prefixedName(logicalName),
    alarmDescription,
    ...metric,
    period: 300,
    evaluationPeriods: 1,
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    treatMissingData: "notBreaching",
    alarmActions: [alertsTopic.arn],
  });
}

function errorsAlarm(logicalName: string, functionName: string) {
  return anyEventAlarm(
    logicalName,
    `Lambda ${functionName} reported an error (it retries twice before giving up)`,
    {
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: functionName },
      statistic: "Sum",
    },
  );
}

function deadLetterAlarm(logicalName: string, queue: aws.sqs.Queue, what: string) {
  return anyEventAlarm(
    logicalName,
    `${what} failed for good; the event is kept in the dead-letter queue`,
    {
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: queue.name },
      statistic: "Maximum",
    },
  );
}

export const alarms = [
  errorsAlarm("ExtractErrorsAlarm", extractFunctionName),
  deadLetterAlarm("ExtractDeadLetterAlarm", extractDeadLetter, "The daily extract"),
  errorsAlarm("TriggerGlueErrorsAlarm", triggerFunctionName),
  deadLetterAlarm("TriggerGlueDeadLetterAlarm", triggerDeadLetter, "Starting the Glue transform"),
];

// --- Who may publish --------------------------------------------------------------------------

new aws.sns.TopicPolicy("AlertsPolicy", {
  arn: alertsTopic.arn,
  policy: aws.iam.getPolicyDocumentOutput({
    statements: [
      {
        sid: "GlueFailureRule",
        principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
        actions: ["sns:Publish"],
        resources: [alertsTopic.arn],
        conditions: [
          { test: "ArnEquals", variable: "aws:SourceArn", values: [glueFailureRule.arn] },
        ],
      },
      {
        sid: "PipelineAlarms",
        principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
        actions: ["sns:Publish"],
        resources: [alertsTopic.arn],
        conditions: [
          {
            test: "ArnEquals",
            variable: "aws:SourceArn",
            values: alarms.map((alarm) => alarm.arn),
          },
          { test: "StringEquals", variable: "aws:SourceAccount", values: [accountId] },
        ],
      },
    ],
  }).json,
});

export const alertSubscription = alertEmail
  ? new aws.sns.TopicSubscription("AlertsEmail", {
      topic: alertsTopic.arn,
      protocol: "email",
      endpoint: alertEmail,
    })
  : undefined;

/** Console link to the alarms of this stage, for the outputs. */
export const alarmsConsoleUrl = $interpolate`https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:?search=${prefixedName("")}`;
