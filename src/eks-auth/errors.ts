// EksAuthError: an AgentError that also says how an EKS Auth call failed, classified once at this boundary.
import { AgentError, type ErrorCode } from '../errors.ts';

/**
 * - modelled: EKS Auth answered with one of its documented error codes
 * - http: a non-2xx answer without a known code
 * - network: no answer (refused, reset, DNS, TLS, proxy)
 * - timeout: no complete answer within the request timeout
 * - malformed: a 2xx answer that is not a valid AssumeRoleForPodIdentity response
 * - credentials: the node's own AWS credentials could not be resolved, so nothing was sent
 */
export type EksAuthErrorKind = 'modelled' | 'http' | 'network' | 'timeout' | 'malformed' | 'credentials';

export interface EksAuthErrorOptions {
  readonly kind: EksAuthErrorKind;
  readonly requestId?: string | undefined;
  readonly upstreamStatus?: number | undefined;
  readonly retryable?: boolean;
  readonly cause?: unknown;
}

export class EksAuthError extends AgentError {
  readonly kind: EksAuthErrorKind;
  /** x-amzn-requestid of the failed attempt, for support cases. */
  readonly requestId: string | undefined;
  /** HTTP status EKS Auth answered with; undefined when there was no answer. */
  readonly upstreamStatus: number | undefined;

  constructor(code: ErrorCode, message: string, options: EksAuthErrorOptions) {
    super(code, message, { cause: options.cause, retryable: options.retryable });
    this.name = 'EksAuthError';
    this.kind = options.kind;
    this.requestId = options.requestId;
    this.upstreamStatus = options.upstreamStatus;
  }
}
