// Cheap main-thread token checks: JWT shape, header, payload and time claims, without the signature.
//
// Runs on every cache miss, so it stays allocation-light and never throws anything but AgentError. Messages
// name what is wrong and never include the token or any claim value (a JWT is a bearer credential).
import { AgentError } from '../errors.ts';
import { isTokenTooLong, tokenTooLong } from '../shared/token-bound.ts';
import type { TokenClaims } from './types.ts';

/**
 * Tolerated clock difference between the token issuer and this node, in seconds. Kubernetes' own token
 * authenticator allows 60 s of leeway, so tokens it accepts are accepted here too.
 */
export const CLOCK_SKEW_SECONDS = 60;

/** A token split and decoded, before any signature check. */
export interface DecodedToken {
  readonly alg: string;
  readonly kid: string | undefined;
  readonly payload: Record<string, unknown>;
  /** `header.payload`: the bytes the signature covers. */
  readonly signingInput: string;
  /** The third segment, still base64url. */
  readonly signature: string;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function invalid(message: string): AgentError {
  return new AgentError('InvalidToken', message);
}

function decodeSegment(segment: string, name: string): Record<string, unknown> {
  // Buffer's decoder silently skips foreign characters, so the alphabet is checked first; a length of
  // 4n+1 cannot be produced by any byte string.
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) {
    throw invalid(`token ${name} is not valid base64url`);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    // Includes RangeError from pathologically nested input.
    throw invalid(`token ${name} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`token ${name} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Splits and decodes a JWT (JWS compact serialisation). Throws AgentError('InvalidToken'). */
export function decodeToken(token: string): DecodedToken {
  if (typeof token !== 'string' || token.length === 0) throw invalid('token is empty');
  if (isTokenTooLong(token)) throw tokenTooLong();
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0 || token.indexOf('.', second + 1) >= 0) {
    throw invalid('token is not a JWT: expected three segments');
  }
  const header = decodeSegment(token.slice(0, first), 'header');
  const payload = decodeSegment(token.slice(first + 1, second), 'payload');
  const signature = token.slice(second + 1);
  if (signature.length > 0 && (!BASE64URL.test(signature) || signature.length % 4 === 1)) {
    throw invalid('token signature is not valid base64url');
  }
  const alg = header['alg'];
  if (typeof alg !== 'string' || alg.length === 0) throw invalid('token header has no alg');
  const kid = header['kid'];
  if (kid !== undefined && typeof kid !== 'string') throw invalid('token header kid is not a string');
  return { alg, kid, payload, signingInput: token.slice(0, second), signature };
}

function numericClaim(payload: Record<string, unknown>, name: string): number | undefined {
  const value = payload[name];
  if (value === undefined) return undefined;
  // Strings that look like numbers are rejected, as RFC 7519 NumericDate is a JSON number.
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalid(`token claim ${name} is not a number`);
  return value;
}

function stringClaim(obj: Record<string, unknown>, name: string, path: string): string | undefined {
  const value = obj[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`token claim ${path} is not a string`);
  return value;
}

function objectClaim(
  obj: Record<string, unknown>,
  name: string,
  path: string,
): Record<string, unknown> | undefined {
  const value = obj[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`token claim ${path} is not an object`);
  }
  return value as Record<string, unknown>;
}

function audienceClaim(payload: Record<string, unknown>): readonly string[] {
  const aud = payload['aud'];
  if (aud === undefined) return [];
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud) && aud.every((a) => typeof a === 'string')) return aud as string[];
  throw invalid('token claim aud is not a string or a list of strings');
}

/** Reads the registered and `kubernetes.io` claims and checks exp/nbf/iat against `nowSeconds`. */
export function readTokenClaims(payload: Record<string, unknown>, nowSeconds: number): TokenClaims {
  const exp = numericClaim(payload, 'exp');
  if (exp === undefined) throw invalid('token has no exp claim');
  const nbf = numericClaim(payload, 'nbf');
  const iat = numericClaim(payload, 'iat');
  if (nowSeconds >= exp + CLOCK_SKEW_SECONDS) throw invalid('token is expired');
  if (nbf !== undefined && nbf > nowSeconds + CLOCK_SKEW_SECONDS)
    throw invalid('token is not valid yet (nbf)');
  if (iat !== undefined && iat > nowSeconds + CLOCK_SKEW_SECONDS)
    throw invalid('token is issued in the future');

  const k8s = objectClaim(payload, 'kubernetes.io', 'kubernetes.io');
  const sa = k8s && objectClaim(k8s, 'serviceaccount', 'kubernetes.io.serviceaccount');
  const pod = k8s && objectClaim(k8s, 'pod', 'kubernetes.io.pod');
  return {
    iss: stringClaim(payload, 'iss', 'iss'),
    sub: stringClaim(payload, 'sub', 'sub'),
    aud: audienceClaim(payload),
    exp,
    nbf,
    iat,
    namespace: k8s && stringClaim(k8s, 'namespace', 'kubernetes.io.namespace'),
    serviceAccount: sa && stringClaim(sa, 'name', 'kubernetes.io.serviceaccount.name'),
    podName: pod && stringClaim(pod, 'name', 'kubernetes.io.pod.name'),
    podUid: pod && stringClaim(pod, 'uid', 'kubernetes.io.pod.uid'),
  };
}

/**
 * The cheap checks of a credentials request: shape, header, payload, time claims. The signature is not
 * checked here (see token-verifier.ts). Throws AgentError('InvalidToken') naming what is wrong.
 */
export function parseTokenClaims(token: string, nowSeconds: number): TokenClaims {
  return readTokenClaims(decodeToken(token).payload, nowSeconds);
}
