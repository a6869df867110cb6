// Turns checked claims into a pod identity: issuer, audience, subject and pod binding. Pure, main thread.
import { AgentError } from '../errors.ts';
import type { TokenClaims, VerifiedIdentity } from './types.ts';

/** The audience EKS Pod Identity tokens are projected for. */
export const POD_IDENTITY_AUDIENCE = 'pods.eks.amazonaws.com';

export interface IdentityRules {
  /** Expected `iss`; undefined skips the check (keys configured directly, see token-verifier.ts). */
  readonly issuer: string | undefined;
  readonly audience: string;
}

function rejected(message: string): AgentError {
  return new AgentError('TokenRejected', message);
}

/** Checks iss, aud, sub against the kubernetes.io claims, and the pod binding. Throws TokenRejected. */
export function identityFromClaims(claims: TokenClaims, rules: IdentityRules): VerifiedIdentity {
  if (rules.issuer !== undefined && claims.iss !== rules.issuer) {
    throw rejected('token issuer is not the trusted issuer');
  }
  if (!claims.aud.includes(rules.audience)) {
    throw rejected(`token audience does not include ${rules.audience}`);
  }
  const { namespace, serviceAccount, podName, podUid } = claims;
  if (!namespace || !serviceAccount) {
    throw rejected('token has no kubernetes.io namespace and service account claims');
  }
  if (claims.sub !== `system:serviceaccount:${namespace}:${serviceAccount}`) {
    throw rejected('token subject does not match its kubernetes.io service account claims');
  }
  if (!podName || !podUid) throw rejected('token is not bound to a pod (no kubernetes.io pod name and uid)');
  return { namespace, serviceAccount, podName, podUid, exp: claims.exp };
}
