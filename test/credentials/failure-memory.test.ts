import { describe, expect, test } from 'bun:test';
import { createFailureMemory, FAILURE_MEMORY_MS } from '../../src/credentials/failure-memory.ts';
import { AgentError, type ErrorCode } from '../../src/errors.ts';
import { holdCalls } from '../helpers/fake-eks-auth.ts';
import { createServiceFixture } from '../helpers/service-fixture.ts';
import { unsignedToken } from '../helpers/tokens.ts';

function failingWith(code: ErrorCode) {
  const f = createServiceFixture();
  f.upstream.behaviour = async () => {
    throw new AgentError(code, 'from EKS Auth');
  };
  return { f, token: unsignedToken({ expSeconds: f.nowSeconds() + 3600 }) };
}

describe('pod-level failures are remembered per token', () => {
  test.each([
    'AccessDeniedException',
    'ExpiredTokenException',
    'InvalidTokenException',
    'ResourceNotFoundException',
  ] as const)('%s: an SDK retry loop within the window costs one call', async (code) => {
    const { f, token } = failingWith(code);
    expect(f.service.costsNothing(token)).toBe(false);
    for (let i = 0; i < 6; i++) {
      await expect(f.service.resolve(token)).rejects.toMatchObject({ code });
      f.clock.advance(1_000);
    }
    expect(f.upstream.calls).toHaveLength(1);
    expect(f.service.costsNothing(token)).toBe(true);
    // Another pod's token is not affected.
    await expect(f.service.resolve(unsignedToken({ expSeconds: f.nowSeconds() + 3600 }))).rejects.toThrow();
    expect(f.upstream.calls).toHaveLength(2);
    // After the window the next request asks EKS Auth again (an association may have been created).
    f.clock.advance(FAILURE_MEMORY_MS);
    expect(f.service.costsNothing(token)).toBe(false);
    await expect(f.service.resolve(token)).rejects.toMatchObject({ code });
    expect(f.upstream.calls).toHaveLength(3);
  });

  test.each([
    'ThrottlingException',
    'ServiceUnavailableException',
    'InternalServerException',
    'UpstreamUnreachable',
    'UpstreamTimeout',
    'UpstreamHttpError',
  ] as const)('%s is never remembered: the next request calls again', async (code) => {
    const { f, token } = failingWith(code);
    await expect(f.service.resolve(token)).rejects.toMatchObject({ code });
    await expect(f.service.resolve(token)).rejects.toMatchObject({ code });
    expect(f.upstream.calls).toHaveLength(2);
    expect(f.service.costsNothing(token)).toBe(false);
  });

  test('the window is monotonic: a 1 h backward wall-clock step neither extends nor ends it', async () => {
    const { f, token } = failingWith('AccessDeniedException');
    await expect(f.service.resolve(token)).rejects.toThrow();
    f.clock.set(f.clock.now() - 3_600_000);
    await expect(f.service.resolve(token)).rejects.toThrow();
    expect(f.upstream.calls).toHaveLength(1);
    f.clock.advance(FAILURE_MEMORY_MS);
    await expect(f.service.resolve(token)).rejects.toThrow();
    expect(f.upstream.calls).toHaveLength(2);
  });

  test('a token whose resolution is in progress costs nothing', async () => {
    const f = createServiceFixture();
    const gate = holdCalls(f.upstream);
    const token = unsignedToken({ expSeconds: f.nowSeconds() + 3600 });
    const first = f.service.resolve(token);
    expect(f.service.costsNothing(token)).toBe(true);
    gate.resolve();
    await first;
    expect(f.service.costsNothing(token)).toBe(false);
  });

  test('memory is bounded: the least recently used token is forgotten first', () => {
    const memory = createFailureMemory(20_000, 3);
    const e = new AgentError('AccessDeniedException', 'x');
    for (const t of ['a', 'b', 'c']) memory.remember(t, e, 0);
    memory.recall('a', 1);
    memory.remember('d', e, 1);
    expect(memory.size).toBe(3);
    expect(memory.recall('b', 2)).toBeUndefined();
    expect(memory.recall('a', 2)).toBe(e);
    expect(memory.recall('d', 2)).toBe(e);
  });
});
