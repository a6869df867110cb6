// How the `server` checks tokens, from its flags and the pod's environment: the key source (--token-issuer,
// --jwks-url, --jwks-file or the in-cluster API server), --verify-tokens (signature by default whenever a key
// source exists) and the size of the verification pool.
import { availableParallelism } from 'node:os';
import type { FlagValues } from '../cli/flag-parser.ts';
import { UsageError } from '../cli/usage-error.ts';
import type { KubeApiEndpoint } from '../kube/api-client.ts';
import { readKubeApi } from '../kube/kube-config.ts';
import { toChoice, toHttpUrl, toInteger } from './flag-values.ts';
import type { ServerFlagName } from './server-flags.ts';

export type VerifyMode = 'off' | 'claims' | 'signature';

const VERIFY_MODES: readonly VerifyMode[] = ['off', 'claims', 'signature'];

/** How tokens are checked, in Config (server-config.ts). */
export interface TokenChecks {
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
  /** --workers N: token-verification pool size; 0 verifies inline on the main thread. */
  readonly workers: number;
  /**
   * The in-cluster API server (KUBERNETES_SERVICE_HOST/PORT; token and CA in --service-account-dir); undefined
   * outside a cluster. Without another key source, signing keys come from its /openid/v1/jwks.
   */
  readonly kubeApi: KubeApiEndpoint | undefined;
}

/** Default pool size: leave one core to the event loop, keep at least one thread, cap at 4. */
export function defaultWorkers(availableCores: number): number {
  return Math.max(1, Math.min(4, Math.floor(availableCores) - 1));
}

function runtimeCores(): number {
  return globalThis.navigator?.hardwareConcurrency ?? availableParallelism();
}

/** Reads the key source, the verification mode and the pool size; throws UsageError for a contradiction. */
export function readTokenChecks(
  flags: FlagValues<ServerFlagName>,
  env: Record<string, string | undefined>,
  availableCores: number | undefined,
): TokenChecks {
  const given = flags.given;
  const f = (name: ServerFlagName) => `--${name}`;
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
  const kubeApi = readKubeApi(env, flags.value('service-account-dir'));
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
      ? defaultWorkers(availableCores ?? runtimeCores())
      : toInteger(f('workers'), workersRaw, 0, 64);

  return { verifyTokens, tokenIssuer, jwksUrl, jwksFile, jwksCacheFile, workers, kubeApi };
}

function optional<T>(value: string | undefined, convert: (v: string) => T): T | undefined {
  return value === undefined ? undefined : convert(value);
}
