// Readiness checks that tell a configuration that cannot work from a bad day: no node credentials can be
// resolved, FIPS is asked for where the partition has no FIPS endpoint (and none was given), or a key source has never loaded
// within its grace period. EKS Auth itself is never asked, so an EKS Auth outage never makes agents unready.
//
// Probes must answer fast and never wait on a remote system, so node credentials are resolved in the
// background and the probe reports the last result (re-checked at most every recheckMs).
import type { Clock } from '../clock.ts';
import type { Config } from '../config/server-config.ts';
import type { CredentialsProvider } from '../eks-auth/node-credentials.ts';
import { defaultEksAuthEndpoint, isKnownRegion } from '../eks-auth/partitions.ts';
import { sanitizeUpstreamMessage } from '../eks-auth/sanitize-message.ts';
import type { Verification } from '../token/verification.ts';
import type { ProbeResult } from './probe-result.ts';

export interface ConfigChecksOptions {
  config: Config;
  /** The provider the EKS Auth client signs with; undefined when a test injected its own client. */
  nodeCredentials: CredentialsProvider | undefined;
  verification: Verification;
  clock: Clock;
  recheckMs?: number;
}

export interface ConfigChecks {
  /** Starts resolving node credentials in the background. */
  start(): void;
  check(): ProbeResult;
}

export const CONFIG_CHECK_DEFAULTS = { recheckMs: 10_000 } as const;

export function createConfigChecks(options: ConfigChecksOptions): ConfigChecks {
  const { config, nodeCredentials, verification, clock } = options;
  const recheckMs = options.recheckMs ?? CONFIG_CHECK_DEFAULTS.recheckMs;
  const regionProblem =
    config.endpoint !== undefined
      ? undefined
      : !isKnownRegion(config.region)
        ? `region ${config.region} is in no AWS partition the endpoint resolver knows: set --endpoint`
        : defaultEksAuthEndpoint(config.region, { useFips: config.useFipsEndpoint }) === undefined
          ? `AWS_USE_FIPS_ENDPOINT is true but region ${config.region}'s partition has no FIPS endpoint: unset it or set --endpoint`
          : undefined;

  let credentialsState: { ok: true } | { ok: false; reason: string } | undefined;
  let checkedAtMs = Number.NEGATIVE_INFINITY;
  let checking: Promise<void> | undefined;
  function resolveCredentials(): void {
    if (!nodeCredentials || checking) return;
    checkedAtMs = clock.now();
    checking = nodeCredentials()
      .then(
        () => {
          credentialsState = { ok: true };
        },
        (err: unknown) => {
          const message = err instanceof Error ? err.message : String(err);
          credentialsState = { ok: false, reason: sanitizeUpstreamMessage(message) };
        },
      )
      .finally(() => {
        checking = undefined;
      });
  }

  return {
    start: resolveCredentials,
    check() {
      const reasons: string[] = [];
      if (regionProblem) reasons.push(regionProblem);
      if (nodeCredentials) {
        if (credentialsState?.ok !== true && clock.now() - checkedAtMs >= recheckMs) resolveCredentials();
        if (credentialsState === undefined) reasons.push('node AWS credentials are still being resolved');
        else if (!credentialsState.ok) reasons.push(credentialsState.reason);
      }
      const keys = verification.check(clock.now());
      if (!keys.ok && keys.reason) reasons.push(keys.reason);
      return {
        ok: reasons.length === 0,
        detail: {
          region: config.region,
          verification: keys.detail,
          ...(reasons.length > 0 ? { reasons } : {}),
        },
      };
    },
  };
}
