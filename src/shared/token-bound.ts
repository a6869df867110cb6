// The one bound on a token's length, checked where a token arrives (the data listener, before the cache
// lookup), where it is decoded, and where it is sent to EKS Auth.
import { AgentError } from '../errors.ts';

/**
 * Upper bound on a token's length. Kubernetes projected service-account tokens are about 1–1.5 KB; 6 KiB
 * leaves room for unusual issuers while bounding the decode and JSON.parse work an unauthenticated
 * caller can trigger, and fits the 8 KiB request-header limit (MAX_REQUEST_HEADER_BYTES) with room for the
 * SDKs' other headers (the token arrives in a header).
 */
export const MAX_TOKEN_LENGTH = 6 * 1024;

/** Whether a token is over the bound (its length is all that is read). */
export function isTokenTooLong(token: string): boolean {
  return token.length > MAX_TOKEN_LENGTH;
}

export function tokenTooLong(): AgentError {
  return new AgentError('InvalidToken', `token is longer than ${MAX_TOKEN_LENGTH} characters`);
}
