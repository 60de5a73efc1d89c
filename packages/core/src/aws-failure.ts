/** What a failed AWS SDK call was, as far as its error shows: a network failure, missing or rejected credentials, or a missing region — shared by the S3 lake and Athena. */

const networkErrorCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);
/** Error names by which an AWS service says it does not accept the credentials it was given. */
export const rejectedCredentialErrorNames = new Set([
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "ExpiredTokenException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "InvalidClientTokenId",
]);

/** Error names by which an AWS service refuses a call the credentials may not make. */
export const accessDeniedErrorNames = new Set(["AccessDenied", "AccessDeniedException"]);

/** The SDK found no region to send the call to (no AWS_REGION, no region in the profile). */
export const isMissingRegion = (cause: unknown): boolean =>
  cause instanceof Error && /region is missing/i.test(cause.message);

/** The SDK found no credentials in its chain (environment, profile, SSO, instance role). */
export const isMissingCredentials = (cause: unknown): boolean =>
  typeof cause === "object" &&
  cause !== null &&
  (cause as { name?: unknown }).name === "CredentialsProviderError";

/** The Node network error code (ECONNREFUSED, ENOTFOUND, …) behind a failed AWS call, if that is what it was. */
export function networkErrorCodeOf(cause: unknown): string | undefined {
  if (typeof cause !== "object" || cause === null) return undefined;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === "string" && networkErrorCodes.has(code)) return code;
  const inner = (cause as { errors?: unknown }).errors;
  if (Array.isArray(inner)) {
    for (const error of inner) {
      const innerCode = networkErrorCodeOf(error);
      if (innerCode !== undefined) return innerCode;
    }
  }
  return undefined;
}

/** The address (host or ip:port) a failed connection was trying to reach, if the error says. */
export function addressOf(cause: unknown): string | undefined {
  if (typeof cause !== "object" || cause === null) return undefined;
  const { address, port, hostname } = cause as {
    address?: unknown;
    port?: unknown;
    hostname?: unknown;
  };
  if (typeof address === "string") return typeof port === "number" ? `${address}:${port}` : address;
  if (typeof hostname === "string") return hostname;
  const inner = (cause as { errors?: unknown }).errors;
  return Array.isArray(inner) && inner.length > 0 ? addressOf(inner[0]) : undefined;
}
