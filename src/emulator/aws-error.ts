// The emulator's wire errors: what AWS EKS Auth answers, in REST-JSON form.
//
// Deliberately separate from the agent's AgentError family (src/errors.ts): the emulator plays the remote
// service, so it speaks AWS's codes and statuses (botocore's eks-auth model), not the agent's.

/** Status per code, from the EKS Auth service model plus the AWS-wide auth errors. */
export const AWS_ERROR_STATUS = {
  AccessDeniedException: 400,
  ExpiredTokenException: 400,
  InvalidTokenException: 400,
  ResourceNotFoundException: 404,
  InvalidParameterException: 400,
  InvalidRequestException: 400,
  ThrottlingException: 429,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
  // AWS-wide authentication errors (not in the EKS Auth model; SDKs still read the code)
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  IncompleteSignatureException: 400,
  MissingAuthenticationTokenException: 403,
  // Routing errors of the emulator itself
  UnknownOperationException: 404,
  MethodNotAllowed: 405,
} as const;

export type AwsErrorCode = keyof typeof AWS_ERROR_STATUS;

export class AwsError extends Error {
  readonly code: AwsErrorCode;
  readonly status: number;

  /** `message` goes on the wire: never put a token or key in it. */
  constructor(code: AwsErrorCode, message: string) {
    super(message);
    this.name = 'AwsError';
    this.code = code;
    this.status = AWS_ERROR_STATUS[code];
  }
}

export function isAwsErrorCode(code: string): code is AwsErrorCode {
  return Object.hasOwn(AWS_ERROR_STATUS, code);
}

/** The REST-JSON error body of err. */
export function awsErrorBody(err: AwsError): string {
  return JSON.stringify({ __type: err.code, message: err.message });
}

/**
 * REST-JSON error: code in `x-amzn-errortype` and in the body's `__type`, plus the request id. `body`
 * replaces the serialised one (null: no body, the code only in the header).
 */
export function awsErrorResponse(
  err: AwsError,
  requestId: string,
  body: string | Uint8Array | null = awsErrorBody(err),
): Response {
  return new Response(body, {
    status: err.status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-errortype': err.code,
      'x-amzn-requestid': requestId,
    },
  });
}

/** Any JSON response with the request id header. */
export function jsonResponse(status: number, body: unknown, requestId: string): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId },
  });
}
