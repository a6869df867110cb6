// Metrics of token checks: signature verifications by result, the verification queue, and the mode and
// signing keys in force (read at scrape time from the agent's verification state).
import { Counter, Gauge, type Registry } from '../prom-client.ts';

export function createTokenMetrics(registry: Registry) {
  const tokenVerifications = new Counter({
    name: 'pod_identity_token_verifications_total',
    help: 'Token signature verifications, by result (valid or the rejection code).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const verifyQueueDepth = new Gauge({
    name: 'pod_identity_token_verification_queue_depth',
    help: 'Token verifications waiting for a worker.',
    registers: [registry],
  });
  // Read at scrape time from the agent's verification state (set by createVerification).
  const verificationState: { read?: () => { mode: string; keys: number } } = {};
  new Gauge({
    name: 'pod_identity_verification_mode',
    help: 'Token checks requests are served with now (1 for the active mode): signature, or claims while no signing keys have loaded, or off.',
    labelNames: ['mode'] as const,
    registers: [registry],
    collect() {
      const mode = verificationState.read?.().mode;
      for (const m of ['off', 'claims', 'signature']) this.labels(m).set(m === mode ? 1 : 0);
    },
  });
  new Gauge({
    name: 'pod_identity_signing_keys',
    help: 'Token signing keys held (0 while none has loaded).',
    registers: [registry],
    collect() {
      this.set(verificationState.read?.().keys ?? 0);
    },
  });
  return { tokenVerifications, verifyQueueDepth, verificationState };
}

export type TokenMetrics = ReturnType<typeof createTokenMetrics>;
