// An upstream (a proxy, a hostile endpoint, an echoing service) answering 500 with a huge message while pods
// start: the message is cut and scanned in linear time, so the event loop stays live and cached pods are
// served. The message shape is a long base64url run without dots, which made the previous sanitiser
// quadratic (1.1-1.5 s per 64,000 characters: 10 new pods stalled the loop past the liveness bound).
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { MAX_UPSTREAM_MESSAGE_CHARS } from '../../src/eks-auth/sanitize-message.ts';
import { type FaultStack, startFaultStack } from './fault-stack.ts';

/** Just inside the 64 KiB the agent reads of an answer, so the whole message reaches the sanitiser. */
const MESSAGE_CHARS = 64_000;
const NEW_PODS = 10;

let s: FaultStack;
beforeAll(async () => {
  s = await startFaultStack();
});
afterAll(() => s.stop());

test(`${NEW_PODS} new pods against 500s with ${MESSAGE_CHARS}-character messages: live, cached pods served`, async () => {
  const cached = await s.token({ podName: 'cached' });
  expect((await s.get(cached)).status).toBe(200);
  s.emulator.setFaults({ failWith: 'InternalServerException', failMessageChars: MESSAGE_CHARS });
  const tokens = await Promise.all(
    Array.from({ length: NEW_PODS }, (_, i) => s.token({ podName: `new-${i}` })),
  );

  const liveness: boolean[] = [];
  let hits = 0;
  let stormDone = false;
  const watcher = (async () => {
    while (!stormDone) {
      liveness.push(s.agent.probes.liveness().ok);
      expect((await s.get(cached)).status).toBe(200);
      hits++;
      await Bun.sleep(20);
    }
  })();
  const answers = await Promise.all(tokens.map((t) => s.get(t)));
  await s.settle();
  stormDone = true;
  await watcher;
  liveness.push(s.agent.probes.liveness().ok);

  for (const a of answers) {
    expect(a.status).toBe(502);
    expect(a.body.code).toBe('InternalServerException');
    // The run is longer than any base64 secret: removed, and the message stays bounded.
    expect(a.body.message?.length).toBeLessThanOrEqual(MAX_UPSTREAM_MESSAGE_CHARS);
    expect(a.body.message).not.toContain('AbCdEfGhIjKlMnOpQrStUvWxYz0123456789');
  }
  expect(s.calls()).toBeGreaterThanOrEqual(NEW_PODS + 1);
  expect(hits).toBeGreaterThan(0);
  expect(liveness.every(Boolean)).toBe(true);
}, 60_000);
