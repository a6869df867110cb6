// The failure gate inside the client, against a fake fetch: what it does to calls when a probe's connection
// hangs (EKS Auth black-holing it) and EKS Auth recovers meanwhile.
import { expect, test } from 'bun:test';
import { createEksAuthClient } from '../../src/eks-auth/client.ts';
import { createRetryQuota } from '../../src/eks-auth/retry-quota.ts';
import type { FetchLike } from '../../src/eks-auth/transport.ts';

const NODE = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const OK_BODY = JSON.stringify({
  subject: { namespace: 'default', serviceAccount: 'sa' },
  audience: 'pods.eks.amazonaws.com',
  podIdentityAssociation: { associationArn: 'arn:aws:eks:us-west-2:111122223333:x', associationId: 'a-1' },
  assumedRoleUser: { arn: 'arn:aws:sts::111122223333:assumed-role/r/s', assumeRoleId: 'AROA:s' },
  credentials: { sessionToken: 'S', secretAccessKey: 'K', accessKeyId: 'ASIA', expiration: 4102444800 },
});

/** A client on `fetch` with no real endpoint, and whatever else a test sets (its retry quota, attempts). */
function clientOn(fetch: FetchLike, extra: Partial<Parameters<typeof createEksAuthClient>[0]> = {}) {
  return createEksAuthClient({
    region: 'us-west-2',
    clusterName: 'c',
    endpoint: 'http://127.0.0.1:9',
    credentials: async () => NODE,
    proxyEnv: {},
    fetch,
    ...extra,
  });
}

/** `n` held calls of distinct pods (t0, t1, ...) and, in order, how each has settled so far. */
function heldCalls(client: ReturnType<typeof createEksAuthClient>, n: number) {
  const settled: string[] = [];
  const held = Array.from({ length: n }, (_, i) => {
    const r = client.assumeRoleForPodIdentity(`t${i}`, { budgetMs: 10_000, hold: true });
    r.then(
      () => settled.push('ok'),
      () => settled.push('failed'),
    );
    return r;
  });
  return { held, settled };
}

test("a probe whose connection hangs does not hold the node's misses once EKS Auth answers again", async () => {
  let phase: 'failing' | 'hanging' | 'recovered' = 'failing';
  let hung = 0;
  const fetch: FetchLike = async (_url, init) => {
    if (phase === 'failing') return new Response('', { status: 503 });
    if (phase === 'hanging') {
      hung++;
      // Black-holed: ends only when the attempt's timeout (or shutdown) aborts it.
      return new Promise<Response>((_, reject) =>
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true }),
      );
    }
    return new Response(OK_BODY, { status: 200 });
  };
  const client = clientOn(fetch, { maxAttempts: 1, requestTimeoutMs: 60_000 });
  try {
    // Five pods' 503s open the gate.
    for (let i = 0; i < 5; i++)
      await expect(client.assumeRoleForPodIdentity(`t${i}`, { budgetMs: 10_000 })).rejects.toThrow();
    phase = 'hanging';
    const probe = client.assumeRoleForPodIdentity('hung', { budgetMs: 60_000 });
    probe.catch(() => {});
    while (hung === 0) await Bun.sleep(5);
    phase = 'recovered';
    // EKS Auth answers again. A miss now must not wait for the hung probe until its own budget runs out.
    const after = await client.assumeRoleForPodIdentity('after', { budgetMs: 3_000 });
    expect(after.credentials.accessKeyId).toBe('ASIA');
  } finally {
    client.close();
  }
}, 20_000);

test("held calls of an outage's first wave wait through the failed probes and get credentials once EKS Auth answers; unheld ones end with the 503", async () => {
  let recovered = false;
  let calls = 0;
  const fetch: FetchLike = async () => {
    calls++;
    return recovered ? new Response(OK_BODY, { status: 200 }) : new Response('', { status: 503 });
  };
  const quota = createRetryQuota();
  const client = clientOn(fetch, { retryQuota: quota });
  try {
    // Eight pods' first calls fail at once (the gate opens at the fifth); one more call is not held.
    const held = Array.from({ length: 8 }, (_, i) =>
      client.assumeRoleForPodIdentity(`t${i}`, { budgetMs: 10_000, hold: true }),
    );
    const unheld = client.assumeRoleForPodIdentity('unheld', { budgetMs: 10_000 });
    await expect(unheld).rejects.toMatchObject({ upstreamStatus: 503 });
    // Probes go one at a time: a few calls over the first wave's, not one per held call per interval.
    while (calls < 12) await Bun.sleep(10);
    const quotaWhileHeld = quota.available;
    recovered = true;
    for (const r of await Promise.all(held)) expect(r.credentials.accessKeyId).toBe('ASIA');
    // Waiting at the gate sent nothing and spent nothing from the retry quota.
    expect(quotaWhileHeld).toBeGreaterThan(0);
  } finally {
    client.close();
  }
}, 20_000);

test('with the retry quota dry, the first wave calls that failed before the gate opened look again and are held', async () => {
  let recovered = false;
  let calls = 0;
  const fetch: FetchLike = async () => {
    calls++;
    return recovered ? new Response(OK_BODY, { status: 200 }) : new Response('', { status: 503 });
  };
  // No retries at all: each call's first failure is its last unless it is held.
  const client = clientOn(fetch, { retryQuota: createRetryQuota(0) });
  try {
    const { held, settled } = heldCalls(client, 8);
    // Two probes after the first wave, so past the one interval they look again after: none ended (the gate
    // opened with the fifth failure).
    while (calls < 10) await Bun.sleep(10);
    expect(settled).toEqual([]);
    recovered = true;
    for (const r of await Promise.all(held)) expect(r.credentials.accessKeyId).toBe('ASIA');
  } finally {
    client.close();
  }
}, 20_000);

test.each([
  ['AccessDeniedException', 403],
  ['InvalidTokenException', 400],
  ['ExpiredTokenException', 400],
])(
  "a held call's %s (HTTP %d) about the pod ends it with that answer, sent once, not held",
  async (code, status) => {
    let calls = 0;
    let deniedCalls = 0;
    const fetch: FetchLike = async (_url, init) => {
      calls++;
      if (String(init.body).includes('"denied"')) {
        deniedCalls++;
        return new Response(JSON.stringify({ __type: code, message: 'about the pod' }), {
          status,
          headers: { 'content-type': 'application/json', 'x-amzn-errortype': code },
        });
      }
      return new Response('', { status: 503 });
    };
    const client = clientOn(fetch, { retryQuota: createRetryQuota(0) });
    try {
      const { held, settled } = heldCalls(client, 6);
      while (calls < 6) await Bun.sleep(5);
      // The gate is open: the denied pod's call waits for its turn as a probe (after the waiters that have not
      // been one yet), is sent once, and ends with its own answer: not held for a probe to succeed.
      const denied = await client
        .assumeRoleForPodIdentity('denied', { budgetMs: 10_000, hold: true })
        .catch((e: unknown) => e);
      expect(denied).toMatchObject({ code });
      expect(deniedCalls).toBe(1);
      // The other pods' calls are still held (their 503s are server-side).
      expect(settled).toEqual([]);
      client.close();
      await Promise.allSettled(held);
    } finally {
      client.close();
    }
  },
  20_000,
);
