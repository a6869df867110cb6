// A modelled EKS Auth, account-wide: every node's calls share one admitted rate (a token bucket; beyond it
// ThrottlingException, HTTP 429), a latency, and outage windows (503 ServiceUnavailableException, or no answer
// at all). It speaks the REST-JSON wire format (facts/eks-auth-api.md) through a fetch that resolves on virtual
// time, so the agent's real client signs, sends, times out, reads and classifies every answer itself.
import type { FetchLike } from '../../src/eks-auth/transport.ts';
import type { Recorder } from './recorder.ts';
import type { VirtualTime } from './virtual-time.ts';

export interface EksAuthLimits {
  /** Calls per second admitted across the account. */
  readonly ratePerSecond: number;
  /** Bucket depth, calls. */
  readonly burst: number;
  /** Latency of an admitted call: base plus an exponential tail with this mean. */
  readonly latencyMs: number;
  readonly latencyTailMs: number;
  /** Latency of a throttled or failed answer. */
  readonly errorLatencyMs: number;
  readonly outages: readonly Outage[];
}

export interface Outage {
  readonly atMs: number;
  readonly durationMs: number;
  /** 'unavailable': 503 at once; 'blackhole': never answers (every attempt times out). */
  readonly mode: 'unavailable' | 'blackhole';
}

/** What the model knows about a token: whose it is, when it expires, whether the pod has an association. */
export interface TokenRecord {
  readonly podUid: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly expMs: number;
  readonly hasAssociation: boolean;
  /** Credential lifetime EKS Auth grants (6 h; 59 min with a target role). */
  readonly credentialLifetimeMs: number;
  /** Whether the pod is still running (calls for dead pods are counted apart). */
  alive(): boolean;
}

export interface Answer {
  readonly status: number;
  readonly errorType?: string;
  readonly body: string;
  readonly latencyMs: number;
}

export interface EksAuthModel {
  /** Decides one call arriving now (counted at arrival, like the service's own accounting). */
  answer(token: string | undefined): Answer;
  /** The fetch the agent's client is given. */
  readonly fetch: FetchLike;
  readonly tokens: Map<string, TokenRecord>;
}

let requestSeq = 0;

function errorAnswer(status: number, errorType: string, message: string, latencyMs: number): Answer {
  return { status, errorType, body: JSON.stringify({ message }), latencyMs };
}

export function createEksAuthModel(
  limits: EksAuthLimits,
  time: VirtualTime,
  random: () => number,
  recorder: Recorder,
): EksAuthModel {
  const tokens = new Map<string, TokenRecord>();
  let bucket = limits.burst;
  let lastRefillMs = time.now();

  function outageAt(nowMs: number): Outage | undefined {
    for (const o of limits.outages) if (nowMs >= o.atMs && nowMs < o.atMs + o.durationMs) return o;
    return undefined;
  }

  function answer(token: string | undefined): Answer {
    const nowMs = time.now();
    const record = token === undefined ? undefined : tokens.get(token);
    recorder.call(
      nowMs,
      record !== undefined && !record.alive(),
      record !== undefined && !record.hasAssociation,
    );
    const outage = outageAt(nowMs);
    if (outage !== undefined) {
      recorder.failed(nowMs);
      if (outage.mode === 'blackhole') return { status: 0, body: '', latencyMs: Number.POSITIVE_INFINITY };
      return errorAnswer(503, 'ServiceUnavailableException', 'Service unavailable', limits.errorLatencyMs);
    }
    bucket = Math.min(limits.burst, bucket + ((nowMs - lastRefillMs) / 1000) * limits.ratePerSecond);
    lastRefillMs = nowMs;
    if (bucket < 1) {
      recorder.throttled(nowMs);
      return errorAnswer(429, 'ThrottlingException', 'Rate exceeded', limits.errorLatencyMs);
    }
    bucket -= 1;
    const latencyMs = limits.latencyMs + -Math.log(1 - random()) * limits.latencyTailMs;
    if (record === undefined)
      return errorAnswer(400, 'InvalidTokenException', 'token not recognised', latencyMs);
    if (record.expMs <= nowMs) return errorAnswer(400, 'ExpiredTokenException', 'token expired', latencyMs);
    if (!record.hasAssociation) {
      recorder.failed(nowMs);
      return errorAnswer(404, 'ResourceNotFoundException', 'no pod identity association', latencyMs);
    }
    recorder.admitted(nowMs);
    const id = `${record.podUid}`;
    return {
      status: 200,
      latencyMs,
      body: JSON.stringify({
        subject: { namespace: record.namespace, serviceAccount: record.serviceAccount },
        audience: 'pods.eks.amazonaws.com',
        podIdentityAssociation: {
          associationArn: `arn:aws:eks:us-west-2:111122223333:podidentityassociation/sim/a-${record.serviceAccount}`,
          associationId: `a-${record.serviceAccount}`,
        },
        assumedRoleUser: {
          arn: `arn:aws:sts::111122223333:assumed-role/sim-role/eks-sim-${id}`,
          assumeRoleId: `AROASIMULATED:eks-sim-${id}`,
        },
        credentials: {
          sessionToken: `session-${id}-${nowMs}`,
          secretAccessKey: 'simulated-secret',
          accessKeyId: 'ASIASIMULATED',
          expiration: (nowMs + record.credentialLifetimeMs) / 1000,
        },
      }),
    };
  }

  const fetch: FetchLike = (_url, init) =>
    new Promise<Response>((resolve, reject) => {
      const signal = init.signal ?? undefined;
      if (signal?.aborted) return reject(signal.reason);
      let token: string | undefined;
      try {
        token = (JSON.parse(String(init.body)) as { token?: string }).token;
      } catch {
        token = undefined;
      }
      const a = answer(token);
      const onAbort = () => {
        time.clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = Number.isFinite(a.latencyMs)
        ? time.setTimeout(() => {
            signal?.removeEventListener('abort', onAbort);
            const headers: Record<string, string> = {
              'content-type': 'application/json',
              'x-amzn-requestid': `sim-${++requestSeq}`,
            };
            if (a.errorType !== undefined) headers['x-amzn-errortype'] = a.errorType;
            resolve(new Response(a.body, { status: a.status, headers }));
          }, a.latencyMs)
        : undefined;
      signal?.addEventListener('abort', onAbort, { once: true });
    });

  return { answer, fetch, tokens };
}
