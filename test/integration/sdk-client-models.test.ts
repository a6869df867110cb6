// The SDK client models of the matrix (bench/sdk-matrix/models) retry what the facts table says their SDK
// retries, as many times as it says: checked against a loopback server that answers one fixed status, or
// never answers. The expected attempt counts are written here from /work/shared/facts/sdk-clients.md, not
// read from the models, so a model that drifts from its SDK fails.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCredentials } from '../../bench/sdk-matrix/models/client-model.ts';
import { MODELS } from '../../bench/sdk-matrix/models/index.ts';

/** Attempts per model when every answer is this status (or no answer at all, for `hang`). */
const EXPECTED: Record<string, { 503: number; 429: number; 400: number; 404: number; hang?: number }> = {
  'java-v2': { 503: 6, 429: 1, 400: 1, 404: 1 },
  rust: { 503: 3, 429: 1, 400: 1, 404: 1 },
  dotnet: { 503: 5, 429: 5, 400: 5, 404: 5 },
  cpp: { 503: 2, 429: 2, 400: 1, 404: 1, hang: 2 },
  php: { 503: 1, 429: 1, 400: 1, 404: 1, hang: 4 },
  'ruby-chain': { 503: 1, 429: 1, 400: 1, 404: 1, hang: 1 },
};

let server: ReturnType<typeof Bun.serve>;
const attempts = new Map<string, number>();
let tokenFile: string;
const noSleep = () => Promise.resolve();

beforeAll(() => {
  server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    // Path /<status>/<id>: answers that status (or nothing, for /hang/) and counts attempts per id.
    fetch(req) {
      const [, status, id] = new URL(req.url).pathname.split('/');
      attempts.set(id!, (attempts.get(id!) ?? 0) + 1);
      if (status === 'hang') return new Promise<Response>(() => {});
      // First attempt 503, the retry (on the kept-alive socket) answered after 2.5 s.
      if (status === 'late') {
        if (attempts.get(id!) === 1) return new Response('', { status: 503 });
        return Bun.sleep(2500).then(() => Response.json({ AccessKeyId: 'AKID', Expiration: 'soon' }));
      }
      const body = JSON.stringify({ code: 'Test', message: `status ${status}` });
      return new Response(body, { status: Number(status), headers: { 'content-type': 'application/json' } });
    },
  });
  tokenFile = join(mkdtempSync(join(tmpdir(), 'pia-models-')), 'token');
  writeFileSync(tokenFile, 'header.payload.signature');
});
afterAll(() => server.stop(true));

describe('client models retry as their SDKs do', () => {
  for (const [id, expected] of Object.entries(EXPECTED)) {
    const model = MODELS[id]!;
    for (const status of ['503', '429', '400', '404'] as const) {
      test(`${model.name}: HTTP ${status} -> ${expected[status]} attempt(s), then an error`, async () => {
        const key = `${id}-${status}`;
        const url = `http://127.0.0.1:${server.port}/${status}/${key}`;
        const err = await loadCredentials(model, url, tokenFile, { sleep: noSleep }).catch((e: Error) => e);
        expect(err).toBeInstanceOf(Error);
        expect(attempts.get(key)).toBe(expected[status]);
      });
    }
  }

  test('a request with no answer: retried until the attempts run out only by SDKs that retry timeouts', async () => {
    const hanging = Object.entries(EXPECTED).filter(([, e]) => e.hang !== undefined);
    await Promise.all(
      hanging.map(async ([id]) => {
        const url = `http://127.0.0.1:${server.port}/hang/${id}-hang`;
        const err = await loadCredentials(MODELS[id]!, url, tokenFile, { sleep: noSleep }).catch(
          (e: Error) => e,
        );
        expect(String(err)).toMatch(/timeout|timed out|credentials/);
      }),
    );
    for (const [id, e] of hanging) expect(attempts.get(`${id}-hang`)).toBe(e.hang!);
  }, 15_000);

  test('a retry on a kept-alive socket is bounded by the read timeout, not the connect timeout', async () => {
    // Rust: 2 s connect, 5 s read. A pooled socket never emits "connect"; the answer at 2.5 s must land.
    const url = `http://127.0.0.1:${server.port}/late/rust-late`;
    await loadCredentials(MODELS['rust']!, url, tokenFile, { sleep: noSleep });
    expect(attempts.get('rust-late')).toBe(2);
  }, 10_000);
});
