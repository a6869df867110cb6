// The API server's error shape: a v1 Status object, as kube-apiserver answers any failed request, with the
// same reason strings, codes, messages and details (and Retry-After where it sends one).

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'Conflict'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'Invalid'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

const CODES: Record<StatusReason, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  Conflict: 409,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
};

export interface StatusExtras {
  /** The Status object's `details` (name, kind, causes, retryAfterSeconds). */
  readonly details?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
}

export function statusResponse(reason: StatusReason, message: string, extras: StatusExtras = {}): Response {
  const code = CODES[reason];
  const details = extras.details ? { details: extras.details } : {};
  return Response.json(
    { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...details, code },
    { status: code, headers: extras.headers },
  );
}

/** 429 as the API server's max-in-flight and priority-and-fairness filters answer it. */
export function tooManyRequests(retryAfterSeconds: number): Response {
  return statusResponse('TooManyRequests', 'Too many requests, please try again later.', {
    details: { retryAfterSeconds },
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
}
