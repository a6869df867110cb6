// An EKS Auth client whose fetch is the test's: one attempt, example node credentials, no proxy environment.
import { createEksAuthClient, type EksAuthClientOptions } from '../../src/eks-auth/client.ts';
import type { FetchLike } from '../../src/eks-auth/transport.ts';

export function clientOverFetch(fetch: FetchLike, options: Partial<EksAuthClientOptions> = {}) {
  return createEksAuthClient({
    region: 'us-west-2',
    clusterName: 'c',
    endpoint: 'http://127.0.0.1:9',
    credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'SECRETEXAMPLE' }),
    maxAttempts: 1,
    proxyEnv: {},
    fetch,
    ...options,
  });
}
