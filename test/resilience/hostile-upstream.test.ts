// An upstream (a proxy, a hostile endpoint, an echoing service) answering 500 with a huge message while pods
// start: the message is cut and scanned in linear time, so the event loop stays live and cached pods are
// served. The message shape is a long base64url run without dots, which made the previous sanitiser
// quadratic (1.1-1.5 s per 64,000 characters: 10 new pods stalled the loop past the liveness bound; the
// sanitiser's own 1 MB case in test/eks-auth/classify-error.test.ts still pins that). An error body over
// MAX_ERROR_BODY_BYTES is not read at all, so the largest message the sanitiser now sees is just inside it.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { MAX_ERROR_BODY_BYTES } from '../../src/eks-auth/classify-error.ts';
import { MAX_UPSTREAM_MESSAGE_CHARS } from '../../src/eks-auth/sanitize-message.ts';
import { type FaultStack, startFaultStack } from './fault-stack.ts';

/** The JSON around the message: {"__type":"InternalServerException","message":"..."}. */
const ENVELOPE_BYTES = 64;
const NEW_PODS = 10;

let s: FaultStack;
beforeAll(async () => {
  s = await startFaultStack();
});
afterAll(() => s.stop());

const CASES: [string, number, boolean][] = [
  ['just inside the error-body bound (read and sanitised)', MAX_ERROR_BODY_BYTES - ENVELOPE_BYTES, true],
  ['of 64,000 characters (not read)', 64_000, false],
];

test.each(CASES)(
  `${NEW_PODS} new pods against 500s with a message %s: live, cached pods served`,
  async (_name, MESSAGE_CHARS, read) => {
    s.emulator.resetFaults();
    const cached = await s.token({ podName: `cached-${MESSAGE_CHARS}` });
    expect((await s.get(cached)).status).toBe(200);
    s.emulator.setFaults({ failWith: 'InternalServerException', failMessageChars: MESSAGE_CHARS });
    const tokens = await Promise.all(
      Array.from({ length: NEW_PODS }, (_, i) => s.token({ podName: `new-${MESSAGE_CHARS}-${i}` })),
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
      // Held through the 500s (nothing cached for a new pod) and answered at its patience with the retryable
      // 503 carrying the 500's sanitised message (src/credentials/patience.ts).
      expect(a.status).toBe(503);
      expect(a.body.code).toBe('RequestTimeoutException');
      const upstream = /^EKS Auth is failing \(InternalServerException\): (.*); the call goes on/.exec(
        a.body.message ?? '',
      )?.[1];
      // The run is longer than any base64 secret: removed, and the message stays bounded.
      expect(upstream?.length).toBeLessThanOrEqual(MAX_UPSTREAM_MESSAGE_CHARS);
      expect(a.body.message).not.toContain('AbCdEfGhIjKlMnOpQrStUvWxYz0123456789');
      expect(upstream?.endsWith(`error body over ${MAX_ERROR_BODY_BYTES} bytes, not read`)).toBe(!read);
    }
    expect(s.calls()).toBeGreaterThanOrEqual(NEW_PODS + 1);
    expect(hits).toBeGreaterThan(0);
    expect(liveness.every(Boolean)).toBe(true);
  },
  60_000,
);
