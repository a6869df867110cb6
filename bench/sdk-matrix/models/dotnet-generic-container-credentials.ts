// .NET: GenericContainerCredentials.cs (refreshed by RefreshingAWSCredentials.cs). HttpClient's default
// 100 s timeout, 5 attempts 0.4/0.8/1.6/3.2 s apart, every failure retried; the error body is not read.
import { type ClientModel, describe } from './client-model.ts';

export const dotnet: ClientModel = {
  name: '.NET',
  source: 'GenericContainerCredentials.cs, RefreshingAWSCredentials.cs',
  connectTimeoutMs: 100_000,
  readTimeoutMs: 100_000,
  totalTimeoutMs: 100_000,
  attempts: 5,
  delaysMs: [400, 800, 1600, 3200],
  jitter: false,
  retries: () => true,
  surfaces: 'status',
  surfaced: (r) => `AmazonClientException: Failed to retrieve credentials (${describe(r)})`,
};
