// Flags + environment -> one frozen Config. The only module that reads argv or process.env.
import { availableParallelism } from 'node:os';
import { parseFlags, type RawFlags } from '../cli/flag-parser.ts';
import { showValue, UsageError } from '../cli/usage-error.ts';
import type { KubeApiEndpoint } from '../kube/api-client.ts';
import { readKubeApi, readStartupTaint, type StartupTaintConfig } from '../kube/kube-config.ts';
import {
  type LogLevel,
  toChoice,
  toClusterName,
  toDurationMs,
  toHost,
  toHttpUrl,
  toInteger,
  toLogLevel,
  toNumber,
  toPort,
} from './flag-values.ts';
import { SERVER_FLAGS, type ServerFlagName } from './server-flags.ts';

export { UsageError } from '../cli/usage-error.ts';
export { SERVER_FLAGS } from './server-flags.ts';

export type { LogLevel };
export type VerifyMode = 'off' | 'claims' | 'signature';

export interface Config {
  // --- the public agent's flags (same names, defaults, meanings) ---
  /**
   * -c/--cluster-name (required). Empty when given empty (the shipped ConfigMap's CLUSTER_NAME): the agent then
   * starts but stays unready and says what to set (see `missingSettings`).
   */
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
  /** --endpoint or AWS_ENDPOINT_URL_EKS_AUTH; undefined: resolved from the region's partition (partitions.ts). */
  readonly endpoint: string | undefined;
  /** AWS_USE_FIPS_ENDPOINT=true: the partition's FIPS endpoint (eks-auth-fips.REGION...). */
  readonly useFipsEndpoint: boolean;
  /** AWS_CA_BUNDLE: PEM file of the CAs trusted for the EKS Auth call (iso partitions); undefined: the system's. */
  readonly caBundle: string | undefined;
  /** -v <level>, default info. */
  readonly logLevel: LogLevel;
  /** AWS_REGION / AWS_DEFAULT_REGION; may be empty only while the cluster name is empty too. */
  readonly region: string;

  // --- additive flags ---
  /** --probe-address, default localhost. */
  readonly probeAddress: string;
  /** --probe-socket PATH: probes on a Unix socket private to this instance; undefined when unset or empty. */
  readonly probeSocket: string | undefined;
  /**
   * --verify-tokens off|claims|signature; default signature when a key source is configured or the agent runs
   * in a cluster (keys from the API server), else claims.
   */
  readonly verifyTokens: VerifyMode;
  /** --token-issuer URL (OIDC discovery). */
  readonly tokenIssuer: string | undefined;
  /** --jwks-url URL. */
  readonly jwksUrl: string | undefined;
  /** --jwks-file PATH. */
  readonly jwksFile: string | undefined;
  /** --jwks-cache-file PATH: the last good key set, persisted. */
  readonly jwksCacheFile: string | undefined;
  /** --key-source-grace, default 2m: a key source that never loaded this long fails readiness. */
  readonly keySourceGraceMs: number;
  /** --workers N: token-verification pool size; 0 verifies inline on the main thread. */
  readonly workers: number;
  /** --strict-bind: fail at start if any bind host cannot be bound (the public agent's behaviour). */
  readonly strictBind: boolean;
  /** --audit-log: one log line per request (verified identity, status, hit/miss, latency). */
  readonly auditLog: boolean;
  /** --upstream-timeout (Go duration), default 4s: one EKS Auth attempt (a bound for hung connections). */
  readonly upstreamTimeoutMs: number;
  /** --max-upstream-concurrency, default 128: EKS Auth calls in flight at once. */
  readonly maxUpstreamConcurrency: number;
  /** --max-connections, default 16384: open descriptors at which the data listeners stop accepting. */
  readonly maxConnections: number;
  /** --client-patience (Go duration), default 4500ms: how long a request waits for a miss before a retryable 503. */
  readonly clientPatienceMs: number;
  /** --rate-limit-per-client (cache misses/s per source address), default 100; 0 disables. */
  readonly rateLimitPerClient: number;
  /** --rate-limit-global (cache misses/s in total), default 0 = unlimited. */
  readonly rateLimitGlobal: number;
  /** --drain-delay, default 0 (the manifests set 5s): handover after SIGTERM before the listeners close (agent/agent.ts drain). */
  readonly drainDelayMs: number;
  /** --shutdown-timeout, default 30s: drain bound on SIGTERM. */
  readonly shutdownTimeoutMs: number;
  /** --startup-taint KEY[:EFFECT] with NODE_NAME; undefined (the default) leaves the node alone. */
  readonly startupTaint: StartupTaintConfig | undefined;
  /**
   * The in-cluster API server (KUBERNETES_SERVICE_HOST/PORT; token and CA in --service-account-dir); undefined
   * outside a cluster. Without another key source, signing keys come from its /openid/v1/jwks.
   */
  readonly kubeApi: KubeApiEndpoint | undefined;
}

export interface ParseServerConfigOptions {
  /** CPU cores for the default worker count; defaults to what the runtime reports. */
  readonly availableCores?: number;
}

const VERIFY_MODES: readonly VerifyMode[] = ['off', 'claims', 'signature'];
const TEN_MINUTES_MS = 600_000;
const ONE_HOUR_MS = 3_600_000;
/** Go's time.Duration maximum, the public agent's only bound on the retention. */
const MAX_GO_DURATION_MS = 9_223_372_036_854;
const REGION = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Default pool size: leave one core to the event loop, keep at least one thread, cap at 4. */
export function defaultWorkers(availableCores: number): number {
  return Math.max(1, Math.min(4, Math.floor(availableCores) - 1));
}

function runtimeCores(): number {
  return globalThis.navigator?.hardwareConcurrency ?? availableParallelism();
}

/** The region SigV4 signs for: AWS_REGION, then AWS_DEFAULT_REGION (an empty variable counts as unset). */
function readRegion(env: Record<string, string | undefined>, allowMissing: boolean): string {
  const [name, value] = env['AWS_REGION']
    ? ['AWS_REGION', env['AWS_REGION']]
    : ['AWS_DEFAULT_REGION', env['AWS_DEFAULT_REGION'] ?? ''];
  if (value === '' && allowMissing) return '';
  if (value === '') throw new UsageError('missing region: set AWS_REGION or AWS_DEFAULT_REGION');
  if (value.length > 64 || !REGION.test(value)) {
    throw new UsageError(
      `invalid value ${showValue(value)} for ${name}: expected a region such as us-east-1`,
    );
  }
  return value;
}

/** Parses `server` flags and environment into a frozen Config. Throws UsageError with one clear line. */
export function parseServerConfig(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  options: ParseServerConfigOptions = {},
): Config {
  const flags: RawFlags = parseFlags(argv, SERVER_FLAGS);
  const given = (name: ServerFlagName): string | undefined => flags.get(name)?.at(-1);
  /** The user's value, else the table's default: one parse path for both. */
  const raw = (name: ServerFlagName): string => {
    const value = given(name);
    if (value !== undefined) return value;
    const spec = SERVER_FLAGS.find((s) => s.name === name);
    const dflt = spec && 'default' in spec ? spec.default : undefined;
    if (typeof dflt !== 'string') throw new Error(`flag table has no default for --${name}`);
    return dflt;
  };
  const f = (name: ServerFlagName) => `--${name}`;

  const clusterRaw = given('cluster-name');
  if (clusterRaw === undefined) throw new UsageError('missing required flag --cluster-name (-c)');
  // Given but empty: an unedited install (`--cluster-name=$(CLUSTER_NAME)` with an empty ConfigMap value). The
  // agent starts unready and names what to set, rather than crash-looping on every node.
  const clusterName = clusterRaw === '' ? '' : toClusterName(f('cluster-name'), clusterRaw);

  const bindRaw = flags.get('bind-hosts') ?? SERVER_FLAGS.find((s) => s.name === 'bind-hosts')!.default;
  const bindHosts = [...new Set(bindRaw.map((h) => toHost(f('bind-hosts'), h)))];

  // A flag beats the environment variable, like the SDKs' own endpoint resolution.
  const endpointFlag = given('endpoint');
  const endpointEnv = env['AWS_ENDPOINT_URL_EKS_AUTH'] || undefined;
  const endpoint =
    endpointFlag !== undefined
      ? toHttpUrl(f('endpoint'), endpointFlag)
      : endpointEnv !== undefined
        ? toHttpUrl('AWS_ENDPOINT_URL_EKS_AUTH', endpointEnv)
        : undefined;
  const useFipsEndpoint = readSdkBoolean(env, 'AWS_USE_FIPS_ENDPOINT');
  // The EKS Auth endpoint rules refuse this pair too ("FIPS and custom endpoint are not supported").
  if (useFipsEndpoint && endpoint !== undefined) {
    throw new UsageError(
      'AWS_USE_FIPS_ENDPOINT=true and a custom endpoint (--endpoint or AWS_ENDPOINT_URL_EKS_AUTH) cannot be combined: drop one',
    );
  }

  // An empty value counts as unset, so a manifest can pass `--token-issuer=$(TOKEN_ISSUER)` from a ConfigMap
  // whether or not the operator filled it in.
  const tokenIssuer = optional(given('token-issuer') || undefined, (v) => toHttpUrl(f('token-issuer'), v));
  const jwksUrl = optional(given('jwks-url'), (v) => toHttpUrl(f('jwks-url'), v));
  const jwksFile = optional(given('jwks-file'), (v) => {
    if (v.trim() === '') throw new UsageError('invalid value "" for --jwks-file: expected a file path');
    return v;
  });
  if (jwksUrl !== undefined && jwksFile !== undefined) {
    throw new UsageError('--jwks-url and --jwks-file both name the signing keys: give only one');
  }
  // Read whenever the pod has it: the default key source and --startup-taint both use it.
  const kubeApi = readKubeApi(env, raw('service-account-dir'));
  const hasKeySource =
    tokenIssuer !== undefined || jwksUrl !== undefined || jwksFile !== undefined || kubeApi !== undefined;
  const verifyRaw = given('verify-tokens');
  const verifyTokens =
    verifyRaw === undefined
      ? hasKeySource
        ? 'signature'
        : 'claims'
      : toChoice(f('verify-tokens'), verifyRaw, VERIFY_MODES);
  if (verifyTokens === 'signature' && !hasKeySource) {
    throw new UsageError(
      '--verify-tokens=signature needs a key source: --token-issuer, --jwks-url, --jwks-file, or a cluster (KUBERNETES_SERVICE_HOST/PORT)',
    );
  }
  const jwksCacheFile = optional(given('jwks-cache-file') || undefined, (v) => v);

  const workersRaw = given('workers');
  const workers =
    workersRaw === undefined
      ? defaultWorkers(options.availableCores ?? runtimeCores())
      : toInteger(f('workers'), workersRaw, 0, 64);

  // Read only when something calls the API server, so an agent that does not reads no more of the environment.
  const startupTaint = readStartupTaint(f('startup-taint'), given('startup-taint'), env, kubeApi);

  const config: Config = {
    clusterName,
    port: toPort(f('port'), raw('port')),
    bindHosts: Object.freeze(bindHosts),
    probePort: toPort(f('probe-port'), raw('probe-port')),
    metricsAddress: toHost(f('metrics-address'), raw('metrics-address')),
    metricsPort: toPort(f('metrics-port'), raw('metrics-port')),
    maxCredentialRetentionMs: toDurationMs(
      f('max-credential-retention-before-renewal'),
      raw('max-credential-retention-before-renewal'),
      { allowZero: true, maxMs: MAX_GO_DURATION_MS },
    ),
    maxCacheSize: toInteger(f('max-cache-size'), raw('max-cache-size'), 0, 1_000_000),
    maxServiceQps: toNumber(f('max-service-qps'), raw('max-service-qps'), {
      min: 0,
      minExclusive: true,
      max: 10_000,
    }),
    rotateCredentials: raw('rotate-credentials') === 'true',
    endpoint,
    useFipsEndpoint,
    caBundle: env['AWS_CA_BUNDLE'] || undefined,
    logLevel: toLogLevel(f('verbosity'), raw('verbosity')),
    region: readRegion(env, clusterName === ''),
    probeAddress: toHost(f('probe-address'), raw('probe-address')),
    probeSocket: given('probe-socket') || undefined,
    verifyTokens,
    tokenIssuer,
    jwksUrl,
    jwksFile,
    jwksCacheFile,
    keySourceGraceMs: toDurationMs(f('key-source-grace'), raw('key-source-grace'), {
      allowZero: true,
      maxMs: ONE_HOUR_MS,
    }),
    workers,
    strictBind: raw('strict-bind') === 'true',
    auditLog: raw('audit-log') === 'true',
    upstreamTimeoutMs: toDurationMs(f('upstream-timeout'), raw('upstream-timeout'), {
      allowZero: false,
      maxMs: TEN_MINUTES_MS,
    }),
    maxUpstreamConcurrency: toInteger(
      f('max-upstream-concurrency'),
      raw('max-upstream-concurrency'),
      1,
      1024,
    ),
    maxConnections: toInteger(f('max-connections'), raw('max-connections'), 64, 1_048_576),
    clientPatienceMs: toDurationMs(f('client-patience'), raw('client-patience'), {
      allowZero: false,
      maxMs: TEN_MINUTES_MS,
    }),
    rateLimitPerClient: toNumber(f('rate-limit-per-client'), raw('rate-limit-per-client'), {
      min: 0,
      max: 1_000_000,
    }),
    rateLimitGlobal: toNumber(f('rate-limit-global'), raw('rate-limit-global'), { min: 0, max: 1_000_000 }),
    drainDelayMs: toDurationMs(f('drain-delay'), raw('drain-delay'), { allowZero: true, maxMs: ONE_HOUR_MS }),
    shutdownTimeoutMs: toDurationMs(f('shutdown-timeout'), raw('shutdown-timeout'), {
      allowZero: true,
      maxMs: ONE_HOUR_MS,
    }),
    startupTaint,
    kubeApi: kubeApi && Object.freeze(kubeApi),
  };
  return Object.freeze(config);
}

/** An SDK boolean setting: unset or empty is false; otherwise true or false in any case, as the SDKs accept. */
function readSdkBoolean(env: Record<string, string | undefined>, name: string): boolean {
  const value = env[name];
  if (value === undefined || value === '') return false;
  const word = value.toLowerCase();
  if (word === 'true' || word === 'false') return word === 'true';
  throw new UsageError(`invalid value ${showValue(value)} for ${name}: expected true or false`);
}

/** Settings an operator still has to give before the agent can serve (empty when it is configured). */
export function missingSettings(config: Pick<Config, 'clusterName' | 'region'>): string[] {
  const missing: string[] = [];
  if (config.clusterName === '') missing.push('CLUSTER_NAME (--cluster-name)');
  if (config.region === '') missing.push('AWS_REGION');
  return missing;
}

function optional<T>(value: string | undefined, convert: (v: string) => T): T | undefined {
  return value === undefined ? undefined : convert(value);
}
