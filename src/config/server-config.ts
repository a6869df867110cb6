// Flags + environment -> one frozen Config. src/config/ is the only reader of flags and environment variables
// (the entry passes process.env in); this module assembles the Config from the readers beside it.
import { readFlags } from '../cli/flag-parser.ts';
import { UsageError } from '../cli/usage-error.ts';
import { readStartupTaint, type StartupTaintConfig } from '../kube/kube-config.ts';
import { type EksAuthTarget, readEksAuthTarget, readRegion } from './aws-environment.ts';
import {
  type LogLevel,
  toClusterName,
  toDurationMs,
  toHost,
  toInteger,
  toLogLevel,
  toNumber,
  toPort,
} from './flag-values.ts';
import { SERVER_FLAGS, type ServerFlagName } from './server-flags.ts';
import { readLimits, type ServerLimits } from './server-limits.ts';
import { readTokenChecks, type TokenChecks, type VerifyMode } from './token-checks.ts';

export { UsageError } from '../cli/usage-error.ts';
export { SERVER_FLAGS } from './server-flags.ts';
export { defaultWorkers } from './token-checks.ts';
export type { LogLevel, VerifyMode };

export interface Config extends EksAuthTarget, TokenChecks, ServerLimits {
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
  /** --strict-bind: fail at start if any bind host cannot be bound (the public agent's behaviour). */
  readonly strictBind: boolean;
  /** --audit-log: one log line per request (verified identity, status, hit/miss, latency). */
  readonly auditLog: boolean;
  /** --helper-thread-nice, default 19: nice value of every thread but the main one (agent/helper-threads.ts); 0 = off. */
  readonly helperThreadNice: number;
  /** --startup-taint KEY[:EFFECT] with NODE_NAME; undefined (the default) leaves the node alone. */
  readonly startupTaint: StartupTaintConfig | undefined;
}

export interface ParseServerConfigOptions {
  /** CPU cores for the default worker count; defaults to what the runtime reports. */
  readonly availableCores?: number;
}

/** Go's time.Duration maximum, the public agent's only bound on the retention. */
const MAX_GO_DURATION_MS = 9_223_372_036_854;

/** Parses `server` flags and environment into a frozen Config. Throws UsageError with one clear line. */
export function parseServerConfig(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  options: ParseServerConfigOptions = {},
): Config {
  const flags = readFlags(argv, SERVER_FLAGS);
  const given = flags.given;
  /** The user's value, else the table's default: one parse path for both. */
  const raw = flags.value;
  const f = (name: ServerFlagName) => `--${name}`;

  const clusterRaw = given('cluster-name');
  if (clusterRaw === undefined) throw new UsageError('missing required flag --cluster-name (-c)');
  // Given but empty: an unedited install (`--cluster-name=$(CLUSTER_NAME)` with an empty ConfigMap value). The
  // agent starts unready and names what to set, rather than crash-looping on every node.
  const clusterName = clusterRaw === '' ? '' : toClusterName(f('cluster-name'), clusterRaw);

  const bindHosts = [...new Set(flags.list('bind-hosts').map((h) => toHost(f('bind-hosts'), h)))];

  const target = readEksAuthTarget(flags.given('endpoint'), env);
  const checks = readTokenChecks(flags, env, options.availableCores);
  // Read only when something calls the API server, so an agent that does not reads no more of the environment.
  const startupTaint = readStartupTaint(f('startup-taint'), given('startup-taint'), env, checks.kubeApi);

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
    ...target,
    caBundle: env['AWS_CA_BUNDLE'] || undefined,
    logLevel: toLogLevel(f('verbosity'), raw('verbosity')),
    region: readRegion(env, clusterName === ''),
    probeAddress: toHost(f('probe-address'), raw('probe-address')),
    probeSocket: given('probe-socket') || undefined,
    ...checks,
    strictBind: raw('strict-bind') === 'true',
    auditLog: raw('audit-log') === 'true',
    ...readLimits(flags),
    helperThreadNice: toInteger(f('helper-thread-nice'), raw('helper-thread-nice'), 0, 19),
    startupTaint,
    kubeApi: checks.kubeApi && Object.freeze(checks.kubeApi),
  };
  return Object.freeze(config);
}

/** Settings an operator still has to give before the agent can serve (empty when it is configured). */
export function missingSettings(config: Pick<Config, 'clusterName' | 'region'>): string[] {
  const missing: string[] = [];
  if (config.clusterName === '') missing.push('CLUSTER_NAME (--cluster-name)');
  if (config.region === '') missing.push('AWS_REGION');
  return missing;
}
