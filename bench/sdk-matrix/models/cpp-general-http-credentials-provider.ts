// C++: GeneralHTTPCredentialsProvider.cpp over AWSHttpResourceClient.cpp. 1 s connect / 1 s read, 2 attempts
// with no delay, retries 429, 5xx and network errors; nothing of the body is surfaced.
import { type ClientModel, describe } from './client-model.ts';

export const cpp: ClientModel = {
  name: 'C++',
  source: 'GeneralHTTPCredentialsProvider.cpp, AWSHttpResourceClient.cpp',
  connectTimeoutMs: 1000,
  readTimeoutMs: 1000,
  totalTimeoutMs: Number.POSITIVE_INFINITY,
  attempts: 2,
  delaysMs: [0],
  jitter: false,
  retries: (r) => r.kind !== 'status' || r.status === 429 || r.status >= 500,
  surfaces: 'status',
  surfaced: (r) => `empty credentials (${describe(r)})`,
};
