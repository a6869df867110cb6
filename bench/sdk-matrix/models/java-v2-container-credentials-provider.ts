// Java SDK v2: ContainerCredentialsProvider.java with ContainerCredentialsRetryPolicy.java and
// HttpResourcesUtils.java. 1 s connect and read, 6 attempts with no delay, retries 5xx and IO errors only:
// 429 and every 4xx (404 included) fail at once. The error carries the body's `message`.
import { type ClientModel, describe, jsonMessage } from './client-model.ts';

export const javaV2: ClientModel = {
  name: 'Java v2',
  source: 'ContainerCredentialsProvider.java, ContainerCredentialsRetryPolicy.java, HttpResourcesUtils.java',
  connectTimeoutMs: 1000,
  readTimeoutMs: 1000,
  totalTimeoutMs: Number.POSITIVE_INFINITY,
  attempts: 6,
  delaysMs: [0, 0, 0, 0, 0],
  jitter: false,
  retries: (r) => r.kind !== 'status' || r.status >= 500,
  surfaces: 'code',
  surfaced: (r) =>
    r.kind === 'status'
      ? `SdkClientException: Failed to load credentials from metadata service: HTTP ${r.status} ${jsonMessage(r.body) ?? ''}`.trim()
      : `SdkClientException: ${describe(r)}`,
};
