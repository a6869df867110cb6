// The pods' SDKs as the agent sees them: each row re-creates one client's container-credentials provider
// (timeouts, attempts, delays, what it retries, when it refreshes) from the table in
// shared/facts/sdk-clients.md, named after the source file it follows. Models, not the SDKs themselves.

/** How one attempt ended, as the SDK sees it. */
export type Outcome = number | 'timeout' | 'network';

export interface SdkModel {
  readonly name: string;
  /** The source file the row follows. */
  readonly source: string;
  /** Per-attempt read timeout; Infinity where the SDK has none. */
  readonly readTimeoutMs: number;
  readonly attempts: number;
  /** Wait before retry `retry` (1 for the first retry). */
  delayMs(retry: number, random: () => number): number;
  /** Whether a failed attempt is retried. */
  retries(outcome: Outcome): boolean;
  /** Asks again once the credentials it holds have this long left. */
  readonly refreshBeforeMs: number;
  /** Asks on this period whatever the expiry (C++). */
  readonly periodMs?: number;
}

const MIN = 60_000;
const any = () => true;
const is5xxOr =
  (...extra: number[]) =>
  (o: Outcome) =>
    o === 'timeout' || o === 'network' || (typeof o === 'number' && (o >= 500 || extra.includes(o)));

export const SDK_MODELS: Readonly<Record<string, SdkModel>> = {
  'js-v3': {
    name: 'JS v3 fromHttp',
    source: '@aws-sdk/credential-provider-http fromHttp.ts',
    readTimeoutMs: Number.POSITIVE_INFINITY,
    attempts: 4,
    delayMs: () => 1000,
    retries: any,
    refreshBeforeMs: 5 * MIN,
  },
  'js-v2': {
    name: 'JS v2',
    source: 'aws-sdk lib/credentials/remote_credentials.js',
    readTimeoutMs: 1000,
    attempts: 4,
    delayMs: (_n, r) => r() * 800,
    retries: (o) => o === 429 || is5xxOr()(o),
    refreshBeforeMs: 15_000,
  },
  botocore: {
    name: 'botocore / AWS CLI',
    source: 'botocore/utils.py ContainerMetadataFetcher',
    readTimeoutMs: 2000,
    attempts: 3,
    delayMs: () => 1000,
    retries: any,
    refreshBeforeMs: 15 * MIN,
  },
  'go-v2': {
    name: 'Go v2',
    source: 'aws-sdk-go-v2 credentials/endpointcreds/provider.go',
    readTimeoutMs: Number.POSITIVE_INFINITY,
    attempts: 3,
    delayMs: (n, r) => r() * 2000 * 2 ** (n - 1),
    retries: (o) => o === 'network' || o === 429 || o === 500 || o === 502 || o === 503 || o === 504,
    refreshBeforeMs: 5 * MIN,
  },
  'go-v1': {
    name: 'Go v1',
    source: 'aws-sdk-go aws/credentials/endpointcreds/provider.go',
    readTimeoutMs: Number.POSITIVE_INFINITY,
    attempts: 4,
    // The v1 default retryer's throttle backoff: 500 ms doubling, with jitter.
    delayMs: (n, r) => 500 * 2 ** (n - 1) * (1 + r()),
    retries: (o) => o === 'network' || o === 429 || o === 502 || o === 503 || o === 504,
    refreshBeforeMs: 5 * MIN,
  },
  'java-v2': {
    name: 'Java v2',
    source: 'ContainerCredentialsProvider.java, ContainerCredentialsRetryPolicy.java',
    readTimeoutMs: 1000,
    attempts: 6,
    delayMs: () => 0,
    retries: (o) => o === 'timeout' || o === 'network' || (typeof o === 'number' && o >= 500),
    refreshBeforeMs: 60 * MIN,
  },
  rust: {
    name: 'Rust aws-config',
    source: 'aws-config src/ecs.rs, http_credential_provider.rs',
    readTimeoutMs: 5000,
    attempts: 3,
    delayMs: (n, r) => r() * 1000 * 2 ** (n - 1),
    retries: (o) => o === 'timeout' || o === 'network' || o === 500 || o === 502 || o === 503 || o === 504,
    refreshBeforeMs: 15_000,
  },
  dotnet: {
    name: '.NET',
    source: 'GenericContainerCredentials.cs, RefreshingAWSCredentials.cs',
    readTimeoutMs: 100_000,
    attempts: 5,
    delayMs: (n) => 400 * 2 ** (n - 1),
    retries: any,
    refreshBeforeMs: 16 * MIN,
  },
  cpp: {
    name: 'C++',
    source: 'GeneralHTTPCredentialsProvider.cpp, AWSHttpResourceClient.cpp',
    readTimeoutMs: 1000,
    attempts: 2,
    delayMs: () => 0,
    retries: is5xxOr(429),
    refreshBeforeMs: 5 * MIN,
    periodMs: 5 * MIN,
  },
  php: {
    name: 'PHP',
    source: 'src/Credentials/EcsCredentialProvider.php',
    readTimeoutMs: 1000,
    attempts: 4,
    delayMs: () => 1000,
    retries: (o) => o === 'timeout' || o === 'network',
    refreshBeforeMs: 0,
  },
  ruby: {
    name: 'Ruby default chain',
    source: 'aws-sdk-core credential_provider_chain.rb, ecs_credentials.rb',
    readTimeoutMs: 1000,
    attempts: 1,
    delayMs: () => 0,
    retries: () => false,
    refreshBeforeMs: 5 * MIN,
  },
};

/** Default share of pods per SDK (an assumption: JVM, Python and Go services dominate; see README). */
export const DEFAULT_SDK_MIX: Readonly<Record<string, number>> = {
  'java-v2': 25,
  botocore: 20,
  'go-v2': 20,
  'js-v3': 15,
  dotnet: 5,
  'js-v2': 3,
  'go-v1': 3,
  rust: 3,
  cpp: 2,
  php: 2,
  ruby: 2,
};
