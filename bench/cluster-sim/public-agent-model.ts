// The public agent's policy, MODELLED from facts/eks-auth-api.md and its source (internal/credsretriever/
// refreshing_cache.go, internal/cloud/eksauth/service.go, pkg/errors/errors.go), not run: cache keyed by pod
// UID (0.2.1); entries refreshed every min(credential lifetime, --max-credential-retention-before-renewal) by a
// janitor sweeping once a minute, renewals allowed by a --max-service-qps limiter (non-blocking: refused ones
// retry in 1-2 min), and continued until the token expires; recoverable failures keep the credentials and retry
// in 1-2 min; a request waits for another's call to the same key by polling 9 x 200 ms; the upstream call runs
// inside the Go SDK's standard retryer (3 attempts, 1 s each, backoff rand x 2^n s, 500-token retry quota)
// tied to the pod's request, so an SDK that gives up cancels it; errors pass EKS Auth's HTTP status through
// (429 for throttling), 500 when there was none.
import type { Answer, EksAuthModel } from './eks-auth-model.ts';
import type { AgentPolicy, NodeAgent, NodeContext } from './node-agent.ts';

const MIN_CREDENTIAL_TTL_MS = 15_000;
const JANITOR_INTERVAL_MS = 60_000;
const RETRY_INTERVAL_MS = 60_000;
const MAX_RETRY_JITTER_MS = 60_000;
const ACTIVE_REQUEST_POLLS = 9;
const ACTIVE_REQUEST_WAIT_MS = 200;
const ATTEMPT_TIMEOUT_MS = 1000;
const GO_MAX_ATTEMPTS = 3;
const GO_RETRY_QUOTA = 500;
const GO_RETRY_COST = 5;
const GO_TIMEOUT_RETRY_COST = 10;
const IRRECOVERABLE = new Set([
  'AccessDeniedException',
  'ExpiredTokenException',
  'InvalidTokenException',
  'ResourceNotFoundException',
]);

interface Entry {
  token: string;
  tokenExpMs: number;
  expiresAtMs: number;
  body: string;
  refreshTimer: unknown;
}

type CallResult =
  | { ok: true; body: string; expiresAtMs: number }
  | { ok: false; status: number; code?: string };

/** What the agent answers pods (the container-credentials shape; only Expiration matters to the SDK models). */
function containerCredentials(expiresAtMs: number): string {
  const Expiration = new Date(expiresAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return JSON.stringify({
    AccessKeyId: 'ASIASIMULATED',
    SecretAccessKey: 'simulated',
    Token: 'simulated',
    Expiration,
  });
}

export interface PublicAgentOptions {
  readonly retentionMs?: number;
  readonly maxServiceQps?: number;
}

export function publicAgentPolicy(options: PublicAgentOptions = {}): AgentPolicy {
  const retentionMs = options.retentionMs ?? 3 * 3_600_000;
  const qps = options.maxServiceQps ?? 3;
  return {
    label: 'public agent (model)',
    modelled: true,
    start(node: NodeContext): NodeAgent {
      const { time, random } = node;
      const eksAuth: EksAuthModel = node.eksAuth;
      const cache = new Map<string, Entry>();
      const active = new Set<string>();
      let stopped = false;
      const shutdown = new AbortController();
      let quota = GO_RETRY_QUOTA;
      // golang.org/x/time/rate limiter, qps with a burst of qps, used with Allow().
      let limiterTokens = qps;
      let limiterAt = time.now();
      const janitorPhase = Math.floor(random() * JANITOR_INTERVAL_MS);
      const nextSweep = (t: number) =>
        janitorPhase + Math.ceil((t - janitorPhase) / JANITOR_INTERVAL_MS) * JANITOR_INTERVAL_MS;

      /** One attempt over the wire; the Go HTTP client's 1 s timeout, or the context, ends it early. */
      function attempt(token: string, signal: AbortSignal): Promise<Answer | 'timeout' | 'canceled'> {
        return new Promise((resolve) => {
          if (signal.aborted) return resolve('canceled');
          const a = eksAuth.answer(token);
          const done = (r: Answer | 'timeout' | 'canceled') => {
            time.clearTimeout(answerTimer);
            time.clearTimeout(timeoutTimer);
            signal.removeEventListener('abort', onAbort);
            resolve(r);
          };
          const onAbort = () => done('canceled');
          const answerTimer =
            a.latencyMs < ATTEMPT_TIMEOUT_MS ? time.setTimeout(() => done(a), a.latencyMs) : undefined;
          const timeoutTimer = time.setTimeout(() => done('timeout'), ATTEMPT_TIMEOUT_MS);
          signal.addEventListener('abort', onAbort, { once: true });
        });
      }

      /** AssumeRoleForPodIdentity through the Go SDK's standard retryer. */
      async function call(token: string, signal: AbortSignal): Promise<CallResult> {
        let spent = 0;
        for (let n = 1; ; n++) {
          const r = await attempt(token, signal);
          if (r === 'canceled') return { ok: false, status: 500, code: 'RequestCanceled' };
          if (r !== 'timeout' && r.status === 200) {
            quota = Math.min(GO_RETRY_QUOTA, quota + (spent > 0 ? spent : 1));
            const expiresAtMs =
              (JSON.parse(r.body) as { credentials: { expiration: number } }).credentials.expiration * 1000;
            return { ok: true, body: containerCredentials(expiresAtMs), expiresAtMs };
          }
          const status = r === 'timeout' ? 500 : r.status;
          const code = r === 'timeout' ? 'Timeout' : r.errorType;
          const retryable = r === 'timeout' || status === 429 || status >= 500;
          if (!retryable || n >= GO_MAX_ATTEMPTS) return { ok: false, status, code };
          const cost = r === 'timeout' ? GO_TIMEOUT_RETRY_COST : GO_RETRY_COST;
          if (quota < cost) return { ok: false, status, code };
          quota -= cost;
          spent += cost;
          try {
            await time.sleep(random() * 1000 * 2 ** n, signal);
          } catch {
            return { ok: false, status: 500, code: 'RequestCanceled' };
          }
        }
      }

      function store(uid: string, token: string, tokenExpMs: number, body: string, expiresAtMs: number) {
        const previous = cache.get(uid);
        if (previous) time.clearTimeout(previous.refreshTimer);
        const nowMs = time.now();
        const refreshInMs = Math.min(expiresAtMs - nowMs, retentionMs);
        const entry: Entry = { token, tokenExpMs, expiresAtMs, body, refreshTimer: undefined };
        cache.set(uid, entry);
        scheduleRefresh(uid, entry, nowMs + refreshInMs);
      }

      function scheduleRefresh(uid: string, entry: Entry, atMs: number) {
        entry.refreshTimer = time.setTimeout(() => void refresh(uid, entry), nextSweep(atMs) - time.now());
      }

      async function refresh(uid: string, entry: Entry) {
        if (stopped || cache.get(uid) !== entry) return;
        const nowMs = time.now();
        // Past the credentials' expiry the janitor evicts instead.
        if (nowMs >= entry.expiresAtMs) {
          cache.delete(uid);
          return;
        }
        limiterTokens = Math.min(qps, limiterTokens + ((nowMs - limiterAt) / 1000) * qps);
        limiterAt = nowMs;
        if (limiterTokens >= 1) {
          limiterTokens -= 1;
          const r = await call(entry.token, shutdown.signal);
          if (stopped || cache.get(uid) !== entry) return;
          if (r.ok) return store(uid, entry.token, entry.tokenExpMs, r.body, r.expiresAtMs);
          if (r.code !== undefined && IRRECOVERABLE.has(r.code)) {
            cache.delete(uid);
            return;
          }
        }
        const leftMs = entry.expiresAtMs - time.now();
        if (leftMs <= MIN_CREDENTIAL_TTL_MS) {
          cache.delete(uid);
          return;
        }
        scheduleRefresh(
          uid,
          entry,
          time.now() + Math.min(leftMs, RETRY_INTERVAL_MS + random() * MAX_RETRY_JITTER_MS),
        );
      }

      function servable(uid: string, token: string, tokenExpMs: number): Entry | undefined {
        const e = cache.get(uid);
        if (e === undefined) return undefined;
        if (e.expiresAtMs - time.now() <= MIN_CREDENTIAL_TTL_MS) {
          cache.delete(uid);
          return undefined;
        }
        // Keyed by pod UID: a rotated (locally validated) token finds the entry, and renewals use it.
        if (tokenExpMs > e.tokenExpMs) {
          e.token = token;
          e.tokenExpMs = tokenExpMs;
        }
        return e;
      }

      return {
        async request(token, _clientAddress, gaveUp) {
          const record = eksAuth.tokens.get(token);
          if (record === undefined) return { status: 400, body: 'invalid token' };
          const uid = record.podUid;
          for (let i = 0; i <= ACTIVE_REQUEST_POLLS; i++) {
            const hit = servable(uid, token, record.expMs);
            if (hit) return { status: 200, body: hit.body };
            if (!active.has(uid)) break;
            if (i < ACTIVE_REQUEST_POLLS) await time.sleep(ACTIVE_REQUEST_WAIT_MS);
          }
          active.add(uid);
          // The request's context: the pod's connection, or the agent's shutdown.
          const context = new AbortController();
          const cancel = () => context.abort();
          gaveUp.addEventListener('abort', cancel, { once: true });
          shutdown.signal.addEventListener('abort', cancel, { once: true });
          try {
            const r = await call(token, context.signal);
            if (!r.ok) return { status: r.status, body: r.code ?? 'error' };
            if (!stopped) store(uid, token, record.expMs, r.body, r.expiresAtMs);
            return { status: 200, body: r.body };
          } finally {
            active.delete(uid);
            gaveUp.removeEventListener('abort', cancel);
            shutdown.signal.removeEventListener('abort', cancel);
          }
        },
        stop() {
          stopped = true;
          shutdown.abort();
          for (const e of cache.values()) time.clearTimeout(e.refreshTimer);
          cache.clear();
        },
      };
    },
  };
}
