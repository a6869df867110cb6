import { describe, expect, test } from 'bun:test';
import { classifyErrorResponse } from '../../src/eks-auth/classify-error.ts';
import { AgentError } from '../../src/errors.ts';
import { identityKey } from '../../src/token/token-checker.ts';
import type { TokenVerifier, VerifiedIdentity } from '../../src/token/types.ts';
import { holdCalls } from '../helpers/fake-eks-auth.ts';
import { createServiceFixture, metricValue } from '../helpers/service-fixture.ts';
import { identityFromClaims, unsignedToken } from '../helpers/tokens.ts';

describe('credential service', () => {
  test('200 concurrent misses for one token make one upstream call and all get the same body', async () => {
    const f = createServiceFixture();
    const gate = holdCalls(f.upstream);
    const token = unsignedToken({ expSeconds: f.nowSeconds() + 3600 });
    const all = Array.from({ length: 200 }, () => f.service.resolve(token));
    await Promise.resolve();
    gate.resolve();
    const entries = await Promise.all(all);
    expect(f.upstream.calls).toHaveLength(1);
    expect(new Set(entries.map((e) => e.body)).size).toBe(1);
    expect(await metricValue(f.metrics, 'pod_identity_single_flight_shared_total')).toBe(199);
    expect(f.service.lookup(token)?.body).toBe(entries[0]!.body);
  });

  test('a hit is served from the cache without an upstream call', async () => {
    const f = createServiceFixture();
    const token = unsignedToken({ expSeconds: f.nowSeconds() + 3600 });
    expect(f.service.lookup(token)).toBeUndefined();
    await f.service.resolve(token);
    const hit = f.service.lookup(token);
    expect(hit).toBeDefined();
    expect(hit!.accessed).toBe(true);
    expect(f.upstream.calls).toHaveLength(1);
    expect(await metricValue(f.metrics, 'pod_identity_cache_state', { state: 'hit' })).toBe(1);
    expect(await metricValue(f.metrics, 'pod_identity_cache_state', { state: 'miss' })).toBe(1);
  });

  test('a waiter that runs out of patience gets a retryable error; the call goes on and fills the cache', async () => {
    const f = createServiceFixture({ clientPatienceMs: 20 });
    const gate = holdCalls(f.upstream);
    const token = unsignedToken({ expSeconds: f.nowSeconds() + 3600 });
    const err = await f.service.resolve(token).catch((e) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect(err.code).toBe('RequestTimeoutException');
    expect(err.retryable).toBe(true);
    expect(err.status).toBe(503);
    expect(f.service.inFlight).toBe(1);
    gate.resolve();
    await Bun.sleep(0);
    await Bun.sleep(0);
    expect(f.service.lookup(token)).toBeDefined();
    expect(f.upstream.calls).toHaveLength(1);
  });

  test('a held call failing server-side: the request is answered at its patience with the retryable RequestTimeoutException carrying the failure (Go SDKs retry it by that code only)', async () => {
    const f = createServiceFixture({ clientPatienceMs: 20 });
    const gate = holdCalls(f.upstream);
    const normal = f.upstream.behaviour;
    f.upstream.behaviour = async (call, n) => {
      call.options?.onHeld?.(
        new AgentError(
          'ServiceUnavailableException',
          'EKS Auth ServiceUnavailableException (HTTP 503): injected text',
        ),
      );
      return normal(call, n);
    };
    const token = unsignedToken({ expSeconds: f.nowSeconds() + 3600 });
    const err = await f.service.resolve(token).catch((e) => e);
    expect(f.upstream.calls[0]!.options!.hold).toBe(true);
    expect(err).toBeInstanceOf(AgentError);
    expect(err.code).toBe('RequestTimeoutException');
    expect(err.status).toBe(503);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain(
      'ServiceUnavailableException): EKS Auth ServiceUnavailableException (HTTP 503): injected text',
    );
    expect(err.message).not.toContain(token);
    // The call goes on, and the SDK's retry is served from the cache.
    gate.resolve();
    await f.service.idle();
    expect(f.service.lookup(token)).toBeDefined();
  });

  test('the upstream call knows who still waits for it: each request while it waits, until its client hangs up', async () => {
    const f = createServiceFixture();
    const gate = holdCalls(f.upstream);
    const token = unsignedToken({ expSeconds: f.nowSeconds() + 3600 });
    const hangUp = new AbortController();
    const first = f.service.resolve(token, '127.1.0.1', 0, hangUp.signal);
    const second = f.service.resolve(token, '127.1.0.1');
    for (let i = 0; i < 5 && f.upstream.calls.length === 0; i++) await Bun.sleep(0);
    const demand = f.upstream.calls[0]!.options!.demand!;
    await Bun.sleep(0);
    expect(demand.waiting).toBe(2);
    hangUp.abort();
    expect(demand.waiting).toBe(1);
    gate.resolve();
    await Promise.all([first, second]);
    expect(demand.waiting).toBe(0);
  });

  test('errors are not cached: the next request calls upstream again', async () => {
    const f = createServiceFixture();
    f.upstream.behaviour = async () => {
      throw new AgentError('ServiceUnavailableException', 'down');
    };
    const token = unsignedToken({ expSeconds: f.nowSeconds() + 3600 });
    await expect(f.service.resolve(token)).rejects.toMatchObject({ code: 'ServiceUnavailableException' });
    await expect(f.service.resolve(token)).rejects.toMatchObject({ code: 'ServiceUnavailableException' });
    expect(f.upstream.calls).toHaveLength(2);
    expect(await metricValue(f.metrics, 'pod_identity_cache_errors', { type: 'Recoverable' })).toBe(2);
  });

  test('an aged entry is renewed on the request path, and kept as fallback if EKS Auth fails', async () => {
    const f = createServiceFixture();
    const token = unsignedToken({ expSeconds: f.nowSeconds() + 86400 });
    const first = await f.service.resolve(token);
    f.clock.set(first.freshUntilMs + 1);
    expect(f.service.lookup(token)).toBeUndefined();
    f.upstream.behaviour = async () => {
      throw new AgentError('ThrottlingException', 'slow down');
    };
    expect((await f.service.resolve(token)).body).toBe(first.body);
    f.clock.set(first.servableUntilMs);
    await expect(f.service.resolve(token)).rejects.toMatchObject({ code: 'ThrottlingException' });
  });

  test('an irrecoverable error evicts the entry', async () => {
    const f = createServiceFixture();
    const token = unsignedToken({ expSeconds: f.nowSeconds() + 86400 });
    const first = await f.service.resolve(token);
    f.clock.set(first.freshUntilMs + 1);
    f.upstream.behaviour = async () => {
      throw new AgentError('AccessDeniedException', 'association removed');
    };
    await expect(f.service.resolve(token)).rejects.toMatchObject({
      code: 'AccessDeniedException',
      status: 403,
    });
    expect(f.cache.peek(token)).toBeUndefined();
    expect(await metricValue(f.metrics, 'pod_identity_cache_state', { state: 'evicted' })).toBe(1);
    expect(await metricValue(f.metrics, 'pod_identity_cache_errors', { type: 'NonRecoverable' })).toBe(1);
  });

  test.each([
    ['InvalidRequestException', false],
    ['UpstreamHttpError', false], // e.g. a TLS-inspecting proxy's 403 page
  ] as const)(
    '%s says nothing about the pod: cached credentials stay and are served',
    async (code, retryable) => {
      const f = createServiceFixture();
      const token = unsignedToken({ expSeconds: f.nowSeconds() + 86400 });
      const first = await f.service.resolve(token);
      f.clock.set(first.freshUntilMs + 1);
      f.upstream.behaviour = async () => {
        throw new AgentError(code, 'not about the pod', { retryable });
      };
      expect((await f.service.resolve(token)).body).toBe(first.body);
      expect(f.cache.peek(token)).toBe(first);
      expect(await f.refresher.tick().then(() => f.cache.peek(token))).toBe(first);
      expect(
        await metricValue(f.metrics, 'pod_identity_cache_errors', { type: 'Recoverable' }),
      ).toBeGreaterThan(0);
    },
  );

  test.each([
    // The node's own session expired: AWS's 403 ExpiredTokenException (classify-error.ts). The pod's token is fine.
    ["the node's expired session (403)", 403, 'The security token included in the request is expired', true],
    // EKS Auth's own 400 ExpiredTokenException is about the pod's token: its entry goes.
    ["the pod's expired token (400)", 400, 'The token has expired', false],
  ] as const)('ExpiredTokenException from %s', async (_name, status, message, kept) => {
    const f = createServiceFixture();
    const token = unsignedToken({ expSeconds: f.nowSeconds() + 86400 });
    const first = await f.service.resolve(token);
    f.clock.set(first.freshUntilMs + 1);
    f.upstream.behaviour = async () => {
      throw classifyErrorResponse(
        status,
        new Headers({ 'x-amzn-errortype': 'ExpiredTokenException' }),
        JSON.stringify({ message }),
      );
    };
    const answer = f.service.resolve(token).then(
      (entry) => entry.body,
      (err: AgentError) => err.code,
    );
    expect(await answer).toBe(kept ? first.body : 'ExpiredTokenException');
    expect(f.cache.peek(token)).toBe(kept ? first : undefined);
  });

  test.each([
    ['not a JWT', 'abc'],
    ['expired', unsignedToken({ expSeconds: 1 })],
  ])('a bad token (%s) is refused before any upstream call', async (_name, token) => {
    const f = createServiceFixture();
    await expect(f.service.resolve(token)).rejects.toMatchObject({ code: 'InvalidToken', status: 400 });
    expect(f.upstream.calls).toHaveLength(0);
  });

  test('with caching disabled every request calls upstream, but concurrent ones still share', async () => {
    const f = createServiceFixture({ maxEntries: 0 });
    const token = unsignedToken({ expSeconds: f.nowSeconds() + 3600 });
    await Promise.all([f.service.resolve(token), f.service.resolve(token)]);
    await f.service.resolve(token);
    expect(f.service.lookup(token)).toBeUndefined();
    expect(f.upstream.calls).toHaveLength(2);
  });

  test('the LRU bound holds', async () => {
    const f = createServiceFixture({ maxEntries: 5 });
    for (let i = 0; i < 12; i++)
      await f.service.resolve(unsignedToken({ expSeconds: f.nowSeconds() + 3600 }));
    expect(f.cache.size).toBe(5);
    expect(await metricValue(f.metrics, 'pod_identity_cache_state', { state: 'evicted' })).toBe(7);
  });
});

describe('credential service keyed by verified identity', () => {
  function fakeVerifier(): TokenVerifier & { calls: number } {
    const v = {
      calls: 0,
      async verify(token: string): Promise<VerifiedIdentity> {
        v.calls += 1;
        return identityFromClaims(token);
      },
      async close() {},
    };
    return v;
  }

  test('a rotated token for the same pod hits the entry, even while EKS Auth is down', async () => {
    const verifier = fakeVerifier();
    const f = createServiceFixture({ verifier });
    const first = unsignedToken({ expSeconds: f.nowSeconds() + 3600, podUid: 'pod-a' });
    const entry = await f.service.resolve(first);
    expect(entry.key).toBe('default/app/pod-a');
    f.upstream.behaviour = async () => {
      throw new AgentError('ServiceUnavailableException', 'outage');
    };
    const rotated = unsignedToken({ expSeconds: f.nowSeconds() + 7200, podUid: 'pod-a' });
    expect(f.service.lookup(rotated)).toBeUndefined();
    expect((await f.service.resolve(rotated)).body).toBe(entry.body);
    expect(f.service.lookup(rotated)?.body).toBe(entry.body);
    expect(entry.token).toBe(rotated);
    expect(f.upstream.calls).toHaveLength(1);

    const otherPod = unsignedToken({ expSeconds: f.nowSeconds() + 7200, podUid: 'pod-b' });
    await expect(f.service.resolve(otherPod)).rejects.toMatchObject({ code: 'ServiceUnavailableException' });
    expect(f.upstream.calls).toHaveLength(2);
  });

  test('concurrent requests with one token check it once and make one upstream call', async () => {
    const verifier = fakeVerifier();
    const f = createServiceFixture({ verifier });
    const token = unsignedToken({ expSeconds: f.nowSeconds() + 3600, podUid: 'pod-c' });
    const entries = await Promise.all(Array.from({ length: 100 }, () => f.service.resolve(token)));
    expect(new Set(entries).size).toBe(1);
    expect(verifier.calls).toBe(1);
    expect(f.upstream.calls).toHaveLength(1);
    expect(await metricValue(f.metrics, 'pod_identity_single_flight_shared_total')).toBe(99);
    // Once settled, the token is forgotten: a later miss (here: a hit by identity) checks it again.
    f.clock.advance(1);
    await f.service.resolve(token);
    expect(verifier.calls).toBe(2);
  });

  test('identityKey separates pods of one service account', () => {
    const base = { namespace: 'n', serviceAccount: 's', podName: 'p', exp: 1 };
    expect(identityKey({ ...base, podUid: 'u1' })).not.toBe(identityKey({ ...base, podUid: 'u2' }));
  });
});
