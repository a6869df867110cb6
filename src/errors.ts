// The closed set of errors the agent answers with, and the one place that turns them into responses.
//
// Every SDK reads a different spelling of the error fields (see shared facts/sdk-clients.md): JS reads
// `Code`/`Message`, Java requires lowercase `code`/`message`, Go reads lowercase. The body carries both.
// Statuses follow the SDKs' retry rules: 4xx for bad tokens and denials, 503 for every transient fault the
// pod did not cause or can outwait (EKS Auth throttling, a miss still pending, a client over its rate limit),
// never 429 (Java v2, Rust, PHP and the Ruby chain do not retry it), never 404 for "no association" (Java
// would not read the body) and never 3xx.

export interface ErrorSpec {
  readonly status: number;
  /** True when a client retrying the same request later may succeed. */
  readonly retryable: boolean;
  /** One of EKS Auth AssumeRoleForPodIdentity's modelled errors (its service model, facts/eks-auth-api.md). */
  readonly eksAuth?: true;
  /**
   * EKS Auth says the pod itself may not have credentials: the credentials cached for it are evicted (counted
   * as type NonRecoverable in pod_identity_cache_errors). Every other failure (throttling, outages, a proxy's
   * error page, a malformed request) says nothing about the pod, so what it holds stays and is served.
   */
  readonly evicts?: true;
  /** Answered from the failure memory for a short while, so an SDK's retries cost no EKS Auth call. */
  readonly remembered?: true;
  /** A result label of pod_identity_token_verifications_total (a token check can end with it). */
  readonly tokenCheckResult?: true;
}

/**
 * The one table of agent error codes: status, retryability, and what the credential path does with each.
 * Upstream (EKS Auth) modelled errors keep their AWS names so users can search them.
 */
export const ERROR_SPECS = {
  // Request checks (our own)
  InvalidHost: { status: 403, retryable: false },
  MissingAuthorization: { status: 400, retryable: false },
  InvalidToken: { status: 400, retryable: false, tokenCheckResult: true },
  TokenRejected: { status: 403, retryable: false, tokenCheckResult: true },
  RequestTooLarge: { status: 431, retryable: false },
  BodyNotAllowed: { status: 400, retryable: false },
  NotFound: { status: 404, retryable: false },
  MethodNotAllowed: { status: 405, retryable: false },
  // 503, not 429: Java v2, Rust, PHP and the Ruby chain do not retry 429 (facts/sdk-clients.md).
  TooManyRequests: { status: 503, retryable: true },
  KeysUnavailable: { status: 503, retryable: true, tokenCheckResult: true },
  Overloaded: { status: 503, retryable: true, tokenCheckResult: true },
  ShuttingDown: { status: 503, retryable: true },
  /** The cluster name (or region) was left empty: nothing is sent to EKS Auth until it is set. */
  NotConfigured: { status: 503, retryable: true },
  // EKS Auth modelled errors (facts/eks-auth-api.md); the first four are about the pod itself.
  AccessDeniedException: { status: 403, retryable: false, eksAuth: true, evicts: true, remembered: true },
  ExpiredTokenException: { status: 400, retryable: false, eksAuth: true, evicts: true, remembered: true },
  InvalidTokenException: { status: 400, retryable: false, eksAuth: true, evicts: true, remembered: true },
  ResourceNotFoundException: { status: 400, retryable: false, eksAuth: true, evicts: true, remembered: true },
  InvalidParameterException: { status: 400, retryable: false, eksAuth: true },
  InvalidRequestException: { status: 400, retryable: false, eksAuth: true },
  // Upstream throttling is not the pod's fault: 503, which every SDK retries (Java and Rust do not retry 429).
  ThrottlingException: { status: 503, retryable: true, eksAuth: true },
  InternalServerException: { status: 502, retryable: true, eksAuth: true },
  ServiceUnavailableException: { status: 503, retryable: true, eksAuth: true },
  // EKS Auth failures that are not modelled errors
  UpstreamHttpError: { status: 502, retryable: true },
  UpstreamMalformedResponse: { status: 502, retryable: true },
  UpstreamUnreachable: { status: 503, retryable: true },
  UpstreamTimeout: { status: 504, retryable: true },
  /** EKS Auth answered for another subject (namespace, service account) than the token's: refused, not cached. */
  UpstreamSubjectMismatch: { status: 502, retryable: false },
  /**
   * A miss held for --client-patience while its upstream call goes on: the SDK's retry finds it cached. Named
   * with the AWS-wide code the Go SDKs retry by name (their container-credentials errors carry no HTTP status
   * to their retryer: Go v2 1.17 gave up on a 503 with any other code).
   */
  RequestTimeoutException: { status: 503, retryable: true },
  /** The node's own AWS credentials could not be loaded (IMDS, shared file): nothing was sent. */
  NodeCredentialsUnavailable: { status: 503, retryable: true },
  // Anything else: a bug
  InternalError: { status: 500, retryable: true, tokenCheckResult: true },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_SPECS;

/** The codes whose table entry sets `flag`, in table order. */
function codesWith(flag: 'eksAuth' | 'evicts' | 'remembered' | 'tokenCheckResult'): ErrorCode[] {
  return (Object.keys(ERROR_SPECS) as ErrorCode[]).filter((code) => (ERROR_SPECS[code] as ErrorSpec)[flag]);
}

/** Sets built once from the table, for the checks made on every failure. */
const EVICTING: ReadonlySet<string> = new Set(codesWith('evicts'));
const REMEMBERED: ReadonlySet<string> = new Set(codesWith('remembered'));

/** Whether a failure with this code evicts the credentials cached for the pod (see ErrorSpec.evicts). */
export function evicts(err: AgentError): boolean {
  return EVICTING.has(err.code);
}

/** Whether a failure with this code is answered from the failure memory (see ErrorSpec.remembered). */
export function isRemembered(err: AgentError): boolean {
  return REMEMBERED.has(err.code);
}

type FlaggedCode<F extends keyof ErrorSpec> = {
  [C in ErrorCode]: (typeof ERROR_SPECS)[C] extends Record<F, true> ? C : never;
}[ErrorCode];

/** EKS Auth's modelled error codes, in the table's order. */
export const EKS_AUTH_CODES = codesWith('eksAuth') as readonly FlaggedCode<'eksAuth'>[];

/** The result labels of pod_identity_token_verifications_total besides 'valid'. */
export const TOKEN_CHECK_RESULTS = codesWith(
  'tokenCheckResult',
) as readonly FlaggedCode<'tokenCheckResult'>[];

export interface AgentErrorOptions {
  cause?: unknown;
  /** Overrides the code's retryable flag (e.g. an upstream 4xx without a modelled code). */
  retryable?: boolean;
}

/**
 * The one error family. `message` is shown to clients and written to logs, so it must never contain a
 * token, a key or a session token: build it from fixed text and non-secret facts only.
 */
export class AgentError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: AgentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentError';
    this.code = code;
    this.status = ERROR_SPECS[code].status;
    this.retryable = options.retryable ?? ERROR_SPECS[code].retryable;
  }
}

/** Converts anything thrown into an AgentError, hiding the details of unexpected ones. */
export function toAgentError(err: unknown): AgentError {
  if (err instanceof AgentError) return err;
  return new AgentError('InternalError', 'internal error', { cause: err });
}

/** Single-line JSON error body with both spellings of code and message. */
export function errorBody(code: string, message: string): string {
  return JSON.stringify({ code, message, Code: code, Message: message });
}

const ERROR_HEADERS = { 'content-type': 'application/json' } as const;

/** The one place an error becomes an HTTP response. */
export function errorResponse(err: unknown, extraHeaders?: Record<string, string>): Response {
  const e = toAgentError(err);
  const headers = extraHeaders ? { ...ERROR_HEADERS, ...extraHeaders } : ERROR_HEADERS;
  return new Response(errorBody(e.code, e.message), { status: e.status, headers });
}
