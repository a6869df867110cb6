// PHP: EcsCredentialProvider.php. Guzzle with a 1 s total timeout, 4 attempts 1 s apart, and only connect
// errors and timeouts are retried: any HTTP status other than 200 fails at once with Guzzle's body excerpt.
import type { ClientModel } from './client-model.ts';

export const php: ClientModel = {
  name: 'PHP',
  source: 'EcsCredentialProvider.php',
  connectTimeoutMs: 1000,
  readTimeoutMs: Number.POSITIVE_INFINITY,
  totalTimeoutMs: 1000,
  attempts: 4,
  delaysMs: [1000, 1000, 1000],
  jitter: false,
  retries: (r) => r.kind !== 'status',
  surfaces: 'code',
  surfaced: (r) =>
    r.kind === 'status'
      ? `CredentialsException: Error retrieving credentials from container metadata (HTTP ${r.status}: ${r.body.slice(0, 120)})`
      : `CredentialsException: Error retrieving credentials from container metadata after attempt 4/4 (${r.kind === 'timeout' ? 'cURL error 28: timed out' : r.message})`,
};
