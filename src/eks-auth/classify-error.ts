// Turns every way an EKS Auth attempt can fail into one EksAuthError. The only place upstream failures are
// interpreted; everything downstream (cache, refresher, HTTP layer) reads code, status and retryable.
import { EKS_AUTH_CODES, type ErrorCode } from '../errors.ts';
import { EksAuthError } from './errors.ts';
import { sanitizeUpstreamMessage } from './sanitize-message.ts';

/** The nine modelled EKS Auth errors; each maps to the same-named agent error code. */
const MODELLED_CODES = new Set<string>(EKS_AUTH_CODES);

/**
 * AWS-wide authentication failures of the node's own signature (bad key, clock skew; an expired node session is
 * ExpiredTokenException at 403, below).
 * Not modelled by EKS Auth and 4xx, but the fault is the agent's credentials, not the pod's token: they
 * stay retryable so the refresher keeps serving cached credentials instead of evicting every entry while
 * the node's credentials are being fixed or rotated.
 */
const NODE_AUTH_CODES = new Set<string>([
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignatureException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'MissingAuthenticationTokenException',
  'RequestExpired',
]);

const MAX_CODE_CHARS = 64;
const SAFE_CODE = /^[A-Za-z0-9_.]+$/;

/** `x-amzn-errortype` may carry `:http://internal.amazon.com/...`; `__type` may carry `namespace#`. */
function normaliseCode(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  let code = raw;
  const colon = code.indexOf(':');
  if (colon >= 0) code = code.slice(0, colon);
  const hash = code.lastIndexOf('#');
  if (hash >= 0) code = code.slice(hash + 1);
  code = code.trim();
  if (code === '' || code.length > MAX_CODE_CHARS || !SAFE_CODE.test(code)) return undefined;
  return code;
}

/** AWS request ids are 36-character UUIDs or 52-character base32: anything longer is cut before it is logged. */
export const MAX_REQUEST_ID_CHARS = 64;
const SAFE_REQUEST_ID = /^[A-Za-z0-9-]+$/;

/** `x-amzn-requestid`, bounded and plain: logged on every attempt, and whoever answers chooses it. */
export function upstreamRequestId(headers: Headers): string | undefined {
  const raw = headers.get('x-amzn-requestid');
  if (raw === null) return undefined;
  const cut = raw.slice(0, MAX_REQUEST_ID_CHARS);
  return SAFE_REQUEST_ID.test(cut) ? cut : undefined;
}

/**
 * The most of an error answer that is read. EKS Auth's are a JSON code and a sentence, a few hundred bytes;
 * past this bound the body is not read (a cut JSON body parses to nothing anyway) and the code comes from
 * `x-amzn-errortype` alone. Reading 64 KiB and parsing it cost a 64,000-character message ~0.2 ms of main
 * thread per failed call, and a 1 MB message was copied into the agent up to 750 KB at a time.
 */
export const MAX_ERROR_BODY_BYTES = 8 * 1024;

/** Whether the text's first non-blank character opens an object: the only JSON shape worth parsing here. */
function opensObject(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return c === 123;
  }
  return false;
}

/**
 * The error body's fields. A body that cannot be an object (empty, a proxy's HTML page) is not parsed: JSON.parse
 * throws on it, and creating that SyntaxError (with its stack) was most of what classifying cost each failed
 * call of a storm whose upstream answers with no body.
 */
function parseBody(bodyText: string): Record<string, unknown> {
  if (!opensObject(bodyText)) return {};
  try {
    const parsed: unknown = JSON.parse(bodyText);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** Classifies a non-2xx answer from EKS Auth; `notReadOverBytes`: its body was over this bound, unread. */
export function classifyErrorResponse(
  status: number,
  headers: Headers,
  bodyText: string,
  notReadOverBytes?: number,
): EksAuthError {
  const requestId = upstreamRequestId(headers);
  const body = notReadOverBytes === undefined ? parseBody(bodyText) : {};
  const code =
    normaliseCode(headers.get('x-amzn-errortype')) ??
    normaliseCode(body['__type']) ??
    normaliseCode(body['code']);
  const rawMessage = body['message'] ?? body['Message'];
  const detail =
    notReadOverBytes !== undefined
      ? `error body over ${notReadOverBytes} bytes, not read`
      : typeof rawMessage === 'string'
        ? sanitizeUpstreamMessage(rawMessage)
        : '';
  const suffix = detail === '' ? '' : `: ${detail}`;

  // AWS answers an expired session token in the request's own signature (the node's credentials) with this code
  // at 403 (AWS Common Errors); EKS Auth's modelled ExpiredTokenException, about the pod's token, is a 400. Read
  // as the pod's, a node whose credentials lapsed would evict every cached pod instead of serving them meanwhile.
  const nodeSessionExpired = code === 'ExpiredTokenException' && status === 403;
  if (code !== undefined && MODELLED_CODES.has(code) && !nodeSessionExpired) {
    return new EksAuthError(code as ErrorCode, `EKS Auth ${code} (HTTP ${status})${suffix}`, {
      kind: 'modelled',
      requestId,
      upstreamStatus: status,
    });
  }
  // Unknown or missing code: trust the status. 429 and 5xx are worth retrying, other 4xx are not.
  const retryable =
    status === 429 ||
    status >= 500 ||
    nodeSessionExpired ||
    (code !== undefined && NODE_AUTH_CODES.has(code));
  const named = code === undefined ? '' : ` ${code}`;
  return new EksAuthError('UpstreamHttpError', `EKS Auth answered HTTP ${status}${named}${suffix}`, {
    kind: 'http',
    requestId,
    upstreamStatus: status,
    retryable,
  });
}

/** Classifies a fetch that produced no complete answer. `timedOut` is decided by the caller's own timer. */
export function classifyTransportFailure(err: unknown, timedOut: boolean, timeoutMs: number): EksAuthError {
  if (timedOut) {
    return new EksAuthError('UpstreamTimeout', `EKS Auth did not answer within ${timeoutMs} ms`, {
      kind: 'timeout',
      cause: err,
    });
  }
  // Bun's fetch errors carry a short `code` (ECONNREFUSED, ConnectionClosed, ...); their messages may quote
  // the URL but never the request body, still they pass through the sanitiser like any upstream text.
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  const what = typeof code === 'string' && code !== '' ? `${code}: ${message}` : message;
  return new EksAuthError('UpstreamUnreachable', `EKS Auth unreachable: ${sanitizeUpstreamMessage(what)}`, {
    kind: 'network',
    cause: err,
  });
}
