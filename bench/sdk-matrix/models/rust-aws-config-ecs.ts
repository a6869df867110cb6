// Rust aws-config: ecs.rs with http_credential_provider.rs. 2 s connect / 5 s read, 3 attempts with jittered
// delays (0-1 s, then 0-2 s), retries 500/502/503/504 and timeouts, not 429. The body of an error is not read.
import { type ClientModel, describe } from './client-model.ts';

const RETRIED = new Set([500, 502, 503, 504]);

export const rust: ClientModel = {
  name: 'Rust aws-config',
  source: 'aws-config ecs.rs, http_credential_provider.rs',
  connectTimeoutMs: 2000,
  readTimeoutMs: 5000,
  totalTimeoutMs: Number.POSITIVE_INFINITY,
  attempts: 3,
  delaysMs: [1000, 2000],
  jitter: true,
  retries: (r) => (r.kind === 'status' ? RETRIED.has(r.status) : r.kind === 'timeout'),
  surfaces: 'status',
  surfaced: (r) => `CredentialsError::ProviderError: ${describe(r)}`,
};
