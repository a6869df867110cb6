// Flags + environment -> one frozen Config. The only module that reads argv or process.env.
// (Skeleton: the interface is the contract other modules rely on; the parser is being written.)

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export type VerifyMode = 'off' | 'claims' | 'signature';

export interface Config {
  // --- the public agent's flags (same names, defaults, meanings) ---
  /** -c/--cluster-name (required). */
  readonly clusterName: string;
  /** -p/--port, default 80. */
  readonly port: number;
  /** -b/--bind-hosts, repeatable; default ['169.254.170.23', 'fd00:ec2::23']. Stored without brackets. */
  readonly bindHosts: readonly string[];
  /** --probe-port, default 2703 (probes served on localhost). */
  readonly probePort: number;
  /** --metrics-address, default 0.0.0.0. */
  readonly metricsAddress: string;
  /** --metrics-port, default 2705. */
  readonly metricsPort: number;
  /** --max-credential-retention-before-renewal, default 3h; 0 disables caching. */
  readonly maxCredentialRetentionMs: number;
  /** --max-cache-size, default 2000; 0 disables caching. */
  readonly maxCacheSize: number;
  /** --max-service-qps, default 3: background refresh calls per second to EKS Auth. */
  readonly maxServiceQps: number;
  /** --rotate-credentials: re-read the shared credentials file every minute (hybrid nodes). */
  readonly rotateCredentials: boolean;
  /** --endpoint or AWS_ENDPOINT_URL_EKS_AUTH; undefined means https://eks-auth.{region}.api.aws. */
  readonly endpoint: string | undefined;
  /** -v <level>, default info. */
  readonly logLevel: LogLevel;
  /** AWS_REGION / AWS_DEFAULT_REGION. */
  readonly region: string;

  // --- additive flags ---
  /** --probe-address, default localhost. */
  readonly probeAddress: string;
  /** --verify-tokens off|claims|signature; default signature when a key source is configured, else claims. */
  readonly verifyTokens: VerifyMode;
  /** --token-issuer URL (OIDC discovery). */
  readonly tokenIssuer: string | undefined;
  /** --jwks-url URL. */
  readonly jwksUrl: string | undefined;
  /** --jwks-file PATH. */
  readonly jwksFile: string | undefined;
  /** --workers N: token-verification pool size; 0 verifies inline on the main thread. */
  readonly workers: number;
  /** --strict-bind: fail at start if any bind host cannot be bound (the public agent's behaviour). */
  readonly strictBind: boolean;
  /** --audit-log: one log line per request (verified identity, status, hit/miss, latency). */
  readonly auditLog: boolean;
  /** --upstream-timeout (Go duration), default 1s: one EKS Auth attempt. */
  readonly upstreamTimeoutMs: number;
  /** --upstream-connect-timeout, default 500ms. */
  readonly upstreamConnectTimeoutMs: number;
  /** --max-upstream-concurrency, default 32: EKS Auth calls in flight at once. */
  readonly maxUpstreamConcurrency: number;
  /** --client-patience (Go duration), default 900ms: how long a request waits for a miss before a retryable 503. */
  readonly clientPatienceMs: number;
  /** --rate-limit-per-client (req/s per source address), default 100; 0 disables. */
  readonly rateLimitPerClient: number;
  /** --rate-limit-global (req/s), default 0 = unlimited. */
  readonly rateLimitGlobal: number;
  /** --shutdown-timeout, default 30s: drain bound on SIGTERM. */
  readonly shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses `server` flags and environment into a frozen Config. Throws ConfigError with one clear line. */
export function parseServerConfig(
  _argv: readonly string[],
  _env: Record<string, string | undefined>,
): Config {
  throw new ConfigError('config parser not implemented yet');
}
