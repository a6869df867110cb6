// Token verification as the agent runs it: the key source chosen from the Config (a configured issuer, JWKS
// URL or file; else, in a cluster, the API server's /openid/v1/jwks), loaded in the background, and the mode
// it puts the agent in. Until a key set has ever loaded the agent serves in claims mode (cache keyed by the
// exact token); it switches to verified mode as soon as keys load. Nothing here blocks start-up.
import type { Clock } from '../clock.ts';
import type { Config, VerifyMode } from '../config/server-config.ts';
import { createKubeApiClient } from '../kube/api-client.ts';
import type { Logger } from '../observability/logger.ts';
import type { TokenMetrics } from '../observability/metrics.ts';
import { createKeySource, type KeySource, type KeySourceStatus } from './jwks.ts';
import { createTokenVerifier } from './token-verifier.ts';
import type { TokenVerifier } from './types.ts';

export interface Verification {
  /** Handed to the credential service; undefined when --verify-tokens is off or claims. */
  readonly verifier: TokenVerifier | undefined;
  readonly keySource: KeySource | undefined;
  /** The mode requests are served in now: 'claims' while a signature mode still waits for keys. */
  mode(): VerifyMode;
  /** For the start line: where keys come from ('none' without a key source). */
  describeKeySource(): string;
  /** Readiness: fails only when a key source has never loaded within the grace period. */
  check(nowMs: number): { ok: boolean; reason?: string; detail: Record<string, unknown> };
  close(): Promise<void>;
}

export interface VerificationDeps {
  clock: Clock;
  logger: Logger;
  metrics: Pick<TokenMetrics, 'tokenVerifications' | 'verifyQueueDepth' | 'verificationState'>;
  /** A test's verifier instead of one built from the Config. */
  verifier?: TokenVerifier;
}

function keySourceFor(config: Config, clock: Clock, logger: Logger): KeySource | undefined {
  const explicit = config.tokenIssuer ?? config.jwksUrl ?? config.jwksFile;
  if (explicit === undefined && config.kubeApi === undefined) return undefined;
  return createKeySource({
    tokenIssuer: config.tokenIssuer,
    jwksUrl: config.jwksUrl,
    jwksFile: config.jwksFile,
    kubeApi: explicit === undefined ? createKubeApiClient({ endpoint: config.kubeApi! }) : undefined,
    persistFile: config.jwksCacheFile,
    clock,
    logger,
  });
}

function describeStatus(s: KeySourceStatus) {
  return {
    keySource: s.kind,
    location: s.location,
    keysLoaded: s.loaded,
    keys: s.keys,
    ...(s.fromPersisted ? { fromPersistedFile: true } : {}),
    ...(s.lastError === undefined ? {} : { lastError: s.lastError }),
  };
}

export function createVerification(config: Config, deps: VerificationDeps): Verification {
  const { clock, logger, metrics } = deps;
  const wanted = config.verifyTokens;
  const keySource =
    deps.verifier === undefined && wanted === 'signature' ? keySourceFor(config, clock, logger) : undefined;
  const built =
    keySource &&
    createTokenVerifier({
      keySource,
      // Keys from the API server sign only this cluster's tokens: they are the trust anchor (no iss check).
      issuer: config.tokenIssuer,
      workers: config.workers,
      clock,
      metrics,
    });
  const verifier = deps.verifier ?? built;
  // Background: listeners never wait for the key source (start() never rejects). Keys loaded at start mean
  // checks are coming: one worker starts now, not inside the first pod's request (starting it took most of
  // the 50 ms the Ruby chain's 1 s timeout leaves when EKS Auth answers in 0.95 s). A later first load
  // starts it with the first check, as before.
  void keySource?.start().then(() => {
    if (keySource.current() !== undefined) verifier?.warm?.();
  });

  const mode = (): VerifyMode => {
    if (wanted !== 'signature') return wanted;
    return verifier !== undefined && (verifier.canVerify?.() ?? true) ? 'signature' : 'claims';
  };
  metrics.verificationState.read = () => ({ mode: mode(), keys: keySource?.status().keys ?? 0 });

  return {
    verifier,
    keySource,
    mode,
    describeKeySource: () => {
      if (keySource) return `${keySource.status().kind} ${keySource.status().location}`;
      return deps.verifier ? 'injected' : 'none';
    },
    check(nowMs) {
      if (!keySource) return { ok: true, detail: { mode: mode() } };
      const status = keySource.status();
      const detail = { mode: mode(), ...describeStatus(status) };
      if (status.loaded || nowMs - status.createdAtMs < config.keySourceGraceMs) return { ok: true, detail };
      return {
        ok: false,
        reason: `token signing keys have not loaded from ${status.kind} ${status.location} within ${Math.round(
          config.keySourceGraceMs / 1000,
        )} s: ${status.lastError ?? 'no answer yet'} (serving in claims mode meanwhile)`,
        detail,
      };
    },
    async close() {
      keySource?.close();
      await verifier?.close();
    },
  };
}
