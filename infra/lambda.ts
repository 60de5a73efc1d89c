/** Pieces shared by the two Lambda functions: dead-letter queues and scoped log permissions. */
import { accountId, partition, prefixedName, region } from "./names";

/** Failed asynchronous invocations land here and stay 14 days, so they can be inspected and re-driven. */
export function deadLetterQueue(name: string): aws.sqs.Queue {
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
export function logPermission(functionName: string) {
  return {
    actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
    resources: [
      $interpolate`arn:${partition}:logs:${region}:${accountId}:log-group:/aws/lambda/${functionName}:*`,
    ],
  };
}

export function sendToQueuePermission(queue: aws.sqs.Queue) {
  return { actions: ["sqs:SendMessage"], resources: [queue.arn] };
}

/**
 * `transform.role` for SST functions:
 * - drops the managed logging policy (see logPermission);
 * - outside `sst dev`, trusts only the Lambda service. SST 4.17's Function tests `!dev` on an
 *   Output (always false), so every function role would also trust the account root — which only
 *   `sst dev` needs (it runs the function locally under the role).
 */
export function lambdaRole(args: aws.iam.RoleArgs): undefined {
  args.managedPolicyArns = [];
  if (!$dev) {
    args.assumeRolePolicy = aws.iam.assumeRolePolicyForPrincipal({
      Service: "lambda.amazonaws.com",
    });
  }
  return undefined;
}

/**
 * How both functions are bundled: minified ESM with the AWS SDK left out, since the nodejs22.x
 * runtime ships SDK v3. This is the shape `npm run bench` measures (bundle size, cold init);
 * SST 4 would otherwise bundle the SDK in (+0.45 MB).
 */
export const nodeBundle = {
  format: "esm" as const,
  minify: true,
  esbuild: { external: ["@aws-sdk/*"] },
};
