// Token rotation during an EKS Auth outage, with signature verification (--token-issuer): the rotated
// token of a cached pod is still served (the cache is keyed by verified pod identity, public agent issue
// #143), while a different pod of the same service account is not given that pod's credentials.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { type FaultStack, startFaultStack } from './fault-stack.ts';

let s: FaultStack;
beforeAll(async () => {
  s = await startFaultStack(['--client-patience=5s']);
});
afterAll(() => s.stop());

test('rotated token of the same pod is served from the cache during an outage, without calling EKS Auth', async () => {
  const pod = { podName: 'web-1', podUid: crypto.randomUUID() };
  const first = await s.get(await s.token(pod));
  expect(first.status).toBe(200);

  s.emulator.setFaults({ outage: true });
  const before = s.calls();
  // kubelet rotates the projected token (a new iat/exp and jti) some time later.
  s.clock.advance(60 * 60_000);
  const rotated = await s.token(pod);
  const view = await s.get(rotated);
  expect(view.status).toBe(200);
  expect(view.body).toEqual(first.body);
  expect(s.calls()).toBe(before);
  // And now the rotated token is a plain hit too.
  expect((await s.get(rotated)).status).toBe(200);
  expect(s.calls()).toBe(before);
});

test('another pod of the same service account gets an error, not the cached pod credentials', async () => {
  s.emulator.resetFaults();
  const cached = await s.get(await s.token({ podName: 'api-1', podUid: crypto.randomUUID() }));
  expect(cached.status).toBe(200);

  s.emulator.setFaults({ outage: true });
  const before = s.calls();
  const other = await s.get(await s.token({ podName: 'api-2', podUid: crypto.randomUUID() }));
  expect(other.status).toBe(503);
  expect(other.body.code).toBe('ServiceUnavailableException');
  expect(other.text).not.toContain(cached.body.SecretAccessKey!);
  await s.settle();
  expect(s.calls()).toBeGreaterThan(before);
});

test('a same-pod token forged with another key is refused, even with the pod cached', async () => {
  s.emulator.resetFaults();
  const pod = { podName: 'db-1', podUid: crypto.randomUUID() };
  expect((await s.get(await s.token(pod))).status).toBe(200);
  const genuine = await s.token(pod);
  const [header, payload] = genuine.split('.');
  // A valid-looking signature segment of the right length, not made with the issuer's key.
  const forged = `${header}.${payload}.${Buffer.alloc(256, 7).toString('base64url')}`;
  const view = await s.get(forged);
  expect(view.status).toBeGreaterThanOrEqual(400);
  expect(view.status).toBeLessThan(500);
  expect(view.body.AccessKeyId).toBeUndefined();
});
