// The API server's error shape: a v1 Status object, as kube-apiserver answers any failed request.

export type StatusReason =
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'ServiceUnavailable';

const CODES: Record<StatusReason, number> = {
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  ServiceUnavailable: 503,
};

export function statusResponse(reason: StatusReason, message: string): Response {
  const code = CODES[reason];
  return Response.json(
    { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code },
    { status: code },
  );
}
