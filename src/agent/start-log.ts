// The one "agent started" line: what this agent is, where it calls EKS Auth and how it checks tokens.
import type { Config } from '../config/server-config.ts';
import { defaultEksAuthEndpoint } from '../eks-auth/partitions.ts';
import { runtimeHeaderLimitBytes } from '../http/connection-guard.ts';
import type { DataListeners } from '../http/listeners.ts';
import type { Logger } from '../observability/logger.ts';
import type { Verification } from '../token/verification.ts';
import { VERSION } from '../version.ts';

export interface StartedParts {
  readonly verification: Verification;
  readonly listeners: DataListeners;
  /** The connection guard's cap (--max-connections or the fd limit less a reserve). */
  readonly maxConnections: number;
  readonly cachingEnabled: boolean;
}

export function logAgentStarted(logger: Logger, config: Config, parts: StartedParts): void {
  const { verification } = parts;
  logger.info(
    {
      version: VERSION,
      region: config.region,
      endpoint:
        config.endpoint ??
        defaultEksAuthEndpoint(config.region, { useFips: config.useFipsEndpoint }) ??
        'none (FIPS is not offered in this partition)',
      caBundle: config.caBundle,
      clusterName: config.clusterName,
      // Keys load in the background; a failed load logs a warning naming claims mode, the first success says
      // that tokens are verified from then on.
      verificationMode:
        verification.mode() === config.verifyTokens
          ? verification.mode()
          : 'claims until the signing keys load',
      verifyTokens: config.verifyTokens,
      keySource: verification.describeKeySource(),
      verification: verification.verifier?.mode,
      listeners: parts.listeners.statuses(),
      maxConnections: parts.maxConnections,
      maxHeaderBytes: runtimeHeaderLimitBytes(),
      cache: parts.cachingEnabled ? config.maxCacheSize : 'disabled',
    },
    'agent started',
  );
}
