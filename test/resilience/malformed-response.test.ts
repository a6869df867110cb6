// EKS Auth (or a proxy in front of it) answering with something that is not a valid response: the client
// gets a clear retryable error, nothing is cached, and the next request calls EKS Auth again.
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test';
import { type FaultStack, startFaultStack } from './fault-stack.ts';

const MAX_ATTEMPTS = 3;

let s: FaultStack;
beforeAll(async () => {
  s = await startFaultStack();
});
afterAll(() => s.stop());
beforeEach(() => s.emulator.resetFaults());

test.each([
  ['MalformedResponse', 502, 'UpstreamMalformedResponse'],
  ['HttpError', 502, 'UpstreamHttpError'],
  ['InternalServerException', 502, 'InternalServerException'],
] as const)('%s -> %d %s; nothing cached; the next request calls again', async (failWith, status, code) => {
  s.emulator.setFaults({ failWith });
  const token = await s.token();
  const before = s.calls();
  const first = await s.get(token);
  expect(first.status).toBe(status);
  expect(first.body).toMatchObject({ code, Code: code });
  expect(first.body.message).toBe(first.body.Message);
  expect(first.text).not.toContain(token);
  await s.settle();
  const afterFirst = s.calls() - before;
  expect(afterFirst).toBeGreaterThanOrEqual(1);
  expect(afterFirst).toBeLessThanOrEqual(MAX_ATTEMPTS);
  expect(s.agent.cache.size).toBe(0);

  const second = await s.get(token);
  expect(second.status).toBe(status);
  await s.settle();
  expect(s.calls() - before).toBeGreaterThan(afterFirst);

  s.emulator.resetFaults();
  const healed = await s.get(token);
  expect(healed.status).toBe(200);
  expect(healed.body.AccessKeyId).toMatch(/^ASIA/);
  // Clean up for the next case, which counts cache entries.
  s.agent.cache.evict([...s.agent.cache.entries()][0]!.key);
});

test('a non-retryable upstream answer is not retried and not cached', async () => {
  s.emulator.setFaults({ failWith: 'AccessDeniedException' });
  const token = await s.token();
  const before = s.calls();
  const view = await s.get(token);
  expect(view.status).toBe(403);
  expect(view.body.code).toBe('AccessDeniedException');
  await s.settle();
  expect(s.calls() - before).toBe(1);
  expect(s.agent.cache.size).toBe(0);
});
