// Entries fetched in claims mode (before the signing keys loaded) are keyed by their token. Once keys load,
// the first verified miss moves them to their verified pod identity (each token checked on the verifier like
// any other), so a rotated token of a pod first served in claims mode is still a hit, and their fallback
// survives an outage. A token that fails the check keeps its token key and ages out.
import type { Logger } from '../observability/logger.ts';
import { identityKey } from '../token/token-checker.ts';
import type { TokenVerifier, VerifiedIdentity } from '../token/types.ts';
import type { CredentialCache } from './cache.ts';
import { withIdentity } from './entry.ts';

export async function rekeyClaimsEntries(
  cache: CredentialCache,
  verifier: TokenVerifier,
  logger: Logger,
): Promise<void> {
  const tokenKeyed = [...cache.entries()].filter((e) => e.identity === undefined);
  for (const entry of tokenKeyed) {
    // Joined once: the moved entry keeps it whole, and the token index keys by the same string.
    const token = entry.token;
    let identity: VerifiedIdentity;
    try {
      identity = await verifier.verify(token);
    } catch {
      continue;
    }
    const key = identityKey(identity);
    if (cache.peek(token) !== entry) continue;
    if (cache.peek(key) === undefined) cache.rekey(token, withIdentity(entry, key, identity.podName, token));
    cache.indexToken(token, key, entry.tokenExpiresAtMs);
  }
  if (tokenKeyed.length > 0)
    logger.info({ entries: tokenKeyed.length }, 'claims-mode entries verified and re-keyed');
}
