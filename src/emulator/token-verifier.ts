// Checks a service-account token the way EKS Auth does (or, with another audience, the way the API server
// authenticates a bearer token), against the emulator's own issuer keys only.
import { type KeyObject, verify } from 'node:crypto';
import { AwsError } from './aws-error.ts';
import { POD_IDENTITY_AUDIENCE } from './token-issuer.ts';

/** Real projected tokens are about 1 KiB; anything far larger is not a token. */
export const MAX_TOKEN_BYTES = 4096;
const TOKEN_PATTERN = /^[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+$/;

export interface VerifiedToken {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly podName: string;
  readonly podUid: string;
}

export interface TokenVerifierOptions {
  issuer: string;
  /** The issuer's published key for a kid (see TokenIssuer.publicKeyFor). */
  publicKeyFor: (kid: unknown) => KeyObject | undefined;
  /** Default pods.eks.amazonaws.com. */
  audience?: string;
}

function invalid(reason: string): AwsError {
  return new AwsError('InvalidTokenException', `The token is invalid: ${reason}`);
}

function decodeJson(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw invalid(`${what} is not base64url JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

export function createTokenVerifier(
  options: TokenVerifierOptions,
): (token: unknown, nowMs: number) => VerifiedToken {
  const { issuer, publicKeyFor } = options;
  const audience = options.audience ?? POD_IDENTITY_AUDIENCE;
  return function verifyToken(token, nowMs) {
    if (typeof token !== 'string' || token.length === 0) {
      throw new AwsError('InvalidParameterException', 'token is required and must be a string');
    }
    if (token.length > MAX_TOKEN_BYTES) throw invalid(`longer than ${MAX_TOKEN_BYTES} bytes`);
    if (!TOKEN_PATTERN.test(token)) throw invalid('not three base64url segments');
    const [h, p, s] = token.split('.') as [string, string, string];
    const header = decodeJson(h, 'header');
    if (header.alg !== 'RS256') throw invalid('alg must be RS256');
    const publicKey = publicKeyFor(header.kid);
    if (publicKey === undefined) throw invalid('unknown signing key');
    // Signature before claims: nothing in an unauthenticated payload is worth reporting.
    if (!verify('sha256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, 'base64url'))) {
      throw invalid('signature verification failed');
    }
    const claims = decodeJson(p, 'payload');
    if (claims.iss !== issuer) throw invalid('issuer is not this cluster');
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(audience)) throw invalid(`audience must include ${audience}`);
    const { exp, nbf } = claims;
    if (typeof exp !== 'number' || !Number.isFinite(exp)) throw invalid('exp is missing');
    const nowSeconds = nowMs / 1000;
    if (exp <= nowSeconds) throw new AwsError('ExpiredTokenException', 'The token has expired');
    if (typeof nbf === 'number' && nbf > nowSeconds) throw invalid('token is not valid yet (nbf)');
    const k8s = obj(claims['kubernetes.io']);
    const namespace = str(k8s.namespace);
    const serviceAccount = str(obj(k8s.serviceaccount).name);
    const pod = obj(k8s.pod);
    const podName = str(pod.name);
    const podUid = str(pod.uid);
    if (!namespace || !serviceAccount || !podName || !podUid) {
      throw invalid('kubernetes.io claim must name the namespace, service account and pod');
    }
    if (claims.sub !== `system:serviceaccount:${namespace}:${serviceAccount}`) {
      throw invalid('sub does not match the kubernetes.io claim');
    }
    return { namespace, serviceAccount, podName, podUid };
  };
}
