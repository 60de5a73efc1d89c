/**
 * The pipeline's Lambda functions, all made by pipelineFunction(): what they share is set here once,
 * and each module states only what differs (handler, size, links).
 */
import { LAMBDA_EXTERNAL } from "../packages/functions/build/lambda-bundle";
import { accountId, partition, prefixedName, region } from "./names";

/** What differs from one pipeline function to the next. */
export interface PipelineFunctionArgs {
  /** Physical name (stage-suffixed); the function logs to `/aws/lambda/<name>`. */
  name: string;
  description: string;
  handler: string;
  memory: sst.aws.FunctionArgs["memory"];
  timeout: sst.aws.FunctionArgs["timeout"];
  /** What the handler reads through `Resource`; each link brings its own, narrow permissions. */
  link: sst.aws.FunctionArgs["link"];
  environment?: sst.aws.FunctionArgs["environment"];
}

/**
 * A function with the shared defaults:
 * - Node 22 on arm64, bundled as nodeBundle says;
 * - logs kept a month, written to its own log group only (logPermission);
 * - the role shaped by lambdaRole;
 * - failures never dropped: Lambda retries a failed run twice, then sends the event to the
 *   function's own dead-letter queue `<logicalName>DeadLetter` (alerts.ts alarms on it).
 */
export function pipelineFunction(logicalName: string, args: PipelineFunctionArgs) {
  const deadLetter = deadLetterQueue(`${logicalName}DeadLetter`);
  const fn = new sst.aws.Function(logicalName, {
    ...args,
    runtime: "nodejs22.x",
    architecture: "arm64",
    nodejs: nodeBundle,
    logging: { retention: "1 month", format: "text" },
    permissions: [logPermission(args.name), sendToQueuePermission(deadLetter)],
    retries: 2,
    transform: {
      role: lambdaRole,
      eventInvokeConfig: {
        destinationConfig: { onFailure: { destination: deadLetter.arn } },
      },
    },
  });
  return { fn, deadLetter };
}

/**
 * How the functions are bundled: minified ESM with the AWS SDK left out, since the nodejs22.x
 * runtime ships SDK v3. This is the shape `npm run bench` measures (bundle size, cold init);
 * SST 4 would otherwise bundle the SDK in (+0.45 MB).
 */
export const nodeBundle = {
  format: "esm" as const,
  minify: true,
  esbuild: { external: LAMBDA_EXTERNAL },
};

/** Failed asynchronous invocations land here and stay 14 days, so they can be inspected and re-driven. */
function deadLetterQueue(name: string): aws.sqs.Queue {
  return new aws.sqs.Queue(name, {
    name: prefixedName(name),
    messageRetentionSeconds: 14 * 24 * 60 * 60,
    sqsManagedSseEnabled: true,
  });
}

/**
 * Writing to the function's own log group (SST creates it), instead of SST's default managed policy
 * AWSLambdaBasicExecutionRole, which allows logs:* calls on every log group in the account.
 */
function logPermission(functionName: string) {
  return {
    actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
    resources: [
      $interpolate`arn:${partition}:logs:${region}:${accountId}:log-group:/aws/lambda/${functionName}:*`,
    ],
  };
}

function sendToQueuePermission(queue: aws.sqs.Queue) {
  return { actions: ["sqs:SendMessage"], resources: [queue.arn] };
}

/**
 * `transform.role` for the functions:
 * - drops the managed logging policy (see logPermission);
 * - outside `sst dev`, trusts only the Lambda service. SST 4.17's Function tests `!dev` on an
 *   Output (always false), so every function role would also trust the account root — which only
 *   `sst dev` needs (it runs the function locally under the role).
 */
function lambdaRole(args: aws.iam.RoleArgs): undefined {
  args.managedPolicyArns = [];
  if (!$dev) {
    args.assumeRolePolicy = aws.iam.assumeRolePolicyForPrincipal({
      Service: "lambda.amazonaws.com",
    });
  }
  return undefined;
}
