// Ruby default chain: credential_provider_chain.rb builds ecs_credentials.rb with the client's
// instance_profile_credentials_retries (0) and _timeout (1 s): one attempt, 1 s open / 1 s read. Any failure
// leaves the credentials unset without an error (the chain moves on and the client finds none).
import type { ClientModel } from './client-model.ts';

export const rubyChain: ClientModel = {
  name: 'Ruby chain',
  source: 'credential_provider_chain.rb, ecs_credentials.rb',
  connectTimeoutMs: 1000,
  readTimeoutMs: 1000,
  totalTimeoutMs: Number.POSITIVE_INFINITY,
  attempts: 1,
  delaysMs: [],
  jitter: false,
  retries: () => false,
  surfaces: 'nothing',
  surfaced: () => 'Aws::Errors::MissingCredentialsError: unable to sign request without credentials set',
};
