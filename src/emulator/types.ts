// Public shapes of the local EKS Auth emulator (re-exported by index.ts; teammates code against these).
import type { Clock } from '../clock.ts';
import type { KubeApiStandIn } from './kube-api/index.ts';
import type { TokenRequest } from './token-issuer.ts';

export interface EmulatorOptions {
  /** Default 0: a random free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Lifetime of returned credentials, default 21600 (6 h). */
  credentialTtlSeconds?: number;
  /** The one accepted node key pair; default the AWS documentation example pair. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** When set, signed requests must carry exactly this x-amz-security-token; when unset any (or none) is accepted. */
  sessionToken?: string;
  /** Used for token iat/exp, credential expiry, the SigV4 date check; its monotonic reading refills the maxTps bucket. */
  clock?: Clock;
  /** Source of randomness for failRate, in [0, 1); default Math.random. Tests inject a sequence. */
  random?: () => number;
  /** Also start the API-server stand-in (HTTPS, bearer tokens, /openid/v1/jwks) on this host, any port. */
  kubeApi?: boolean;
}

export type { TokenRequest } from './token-issuer.ts';

/** Codes `failWith` accepts: the modelled EKS Auth errors, two auth errors, and two non-modelled failures. */
export type FailWithCode =
  | 'AccessDeniedException'
  | 'ExpiredTokenException'
  | 'InvalidTokenException'
  | 'ResourceNotFoundException'
  | 'InvalidParameterException'
  | 'InvalidRequestException'
  | 'ThrottlingException'
  | 'InternalServerException'
  | 'ServiceUnavailableException'
  | 'UnrecognizedClientException'
  | 'InvalidSignatureException'
  /** 200 with a JSON body missing the required `credentials` and `assumedRoleUser` members. */
  | 'MalformedResponse'
  /** 502 text/html without an error code, like a proxy in the way. */
  | 'HttpError';

export interface EmulatorFaults {
  /** Delay before every AssumeRoleForPodIdentity answer (real time). */
  latencyMs?: number;
  failWith?: FailWithCode | string;
  /** 0..1, default 1 when failWith is set. */
  failRate?: number;
  /**
   * With a modelled failWith code: the error message is this many base64url characters without a dot (a
   * hostile or echoing upstream; the shape that made a backtracking sanitiser quadratic).
   */
  failMessageChars?: number;
  /** With a modelled failWith code: the code only in `x-amzn-errortype`, no body (the cheapest failure). */
  failEmptyBody?: boolean;
  /**
   * Calls per second admitted (a token bucket on the emulator clock's monotonic reading, refilled at this
   * rate); a call that finds the bucket empty gets 429 ThrottlingException and takes nothing.
   */
  maxTps?: number;
  /** With maxTps: the bucket's depth in calls, full when the faults are set (default maxTps: a 1 s burst). */
  burst?: number;
  /** true = 'unavailable': every call 503 ServiceUnavailableException; 'hang': never answer until the client gives up. */
  outage?: boolean | 'unavailable' | 'hang';
}

export interface EmulatorStats {
  /** Every AssumeRoleForPodIdentity request that reached the handler, failed or not. */
  assumeRoleCalls: number;
  succeeded: number;
  /** Answered with an error (or hung, or sent a malformed 200). */
  failed: number;
  /** Answered 429 ThrottlingException (maxTps or failWith). */
  throttled: number;
  /** Failures by code ('MalformedResponse', 'HttpError' and 'Hang' included). */
  byCode: Record<string, number>;
}

export interface Association {
  namespace: string;
  serviceAccount: string;
  roleArn: string;
}

export interface Emulator {
  /** Base URL, e.g. http://127.0.0.1:PORT (also the token issuer `iss`). */
  readonly url: string;
  readonly port: number;
  issueToken(req: TokenRequest): Promise<string>;
  stats(): EmulatorStats;
  resetStats(): void;
  /** Replaces the current faults (not a merge). Throws InputError (clear message) on bad input. */
  setFaults(f: EmulatorFaults): void;
  resetFaults(): void;
  /** null = default: every service account maps to arn:aws:iam::111122223333:role/eks-pod-identity-<ns>-<sa>. */
  setAssociations(list: Association[] | null): void;
  /** Signs new tokens with a new key, still publishing the previous ones; resolves the new kid. */
  rotateSigningKey(): Promise<string>;
  /** The API-server stand-in, when started with `kubeApi: true`; stopped with the emulator. */
  readonly kubeApi: KubeApiStandIn | undefined;
  stop(): Promise<void>;
}
