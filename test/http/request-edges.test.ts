// Protocol edges of the data listener, sent as raw bytes: other spellings of the path, absolute-form
// targets, ports in Host, methods Bun's parser refuses, and bodies on GET. Each gets a clear answer (or, where
// Bun's parser decides, a pinned one), and the next good request is served.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { rawRequest } from '../fuzz/raw-http.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

let stack: Stack;
let port: number;
let token: string;

beforeAll(async () => {
  stack = await startStack({ args: ['--rate-limit-per-client=0'] });
  port = Number(new URL(stack.agent.url).port);
  token = (await stack.tokenFile({ podName: 'edges' })).token;
});
afterAll(() => stack.stop());

function request(target: string, headers: Record<string, string>, method = 'GET', body = ''): string {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return `${method} ${target} HTTP/1.1\r\n${lines.join('')}Connection: close\r\n\r\n${body}`;
}

async function send(raw: string) {
  const answer = await rawRequest(port, raw, { timeoutMs: 5_000 });
  const start = answer.text.indexOf('\r\n\r\n');
  const body = start < 0 ? '' : answer.text.slice(start + 4);
  let code: string | undefined;
  try {
    code = (JSON.parse(body) as { code?: string }).code;
  } catch {}
  return { status: answer.status, code, text: answer.text };
}

const host = () => `127.0.0.1:${port}`;

async function expectServing(): Promise<void> {
  const ok = await send(request('/v1/credentials', { Host: host(), Authorization: token }));
  expect(ok.status).toBe(200);
}

test.each([
  ['percent-encoded', '/v1/%63redentials'],
  ['dot segments', '/v1/x/../credentials'],
  ['dot segment', '/v1/./credentials'],
  ['doubled slash', '//v1/credentials'],
])('a GET of another spelling of the path (%s) is 404 NotFound, never 405 or served', async (_n, target) => {
  const answer = await send(request(target, { Host: host(), Authorization: token }));
  expect([answer.status, answer.code]).toEqual([404, 'NotFound']);
  await expectServing();
});

test('another method on the path is 405 naming the method', async () => {
  const answer = await send(request('/v1/credentials', { Host: host() }, 'POST'));
  expect([answer.status, answer.code]).toEqual([405, 'MethodNotAllowed']);
  expect(answer.text).toContain('POST is not allowed; use GET');
});

test.each(['0', '99999', '1', '65535'])(
  'a Host with a port other than the listener one (:%s) is 403',
  async (p) => {
    const answer = await send(request('/v1/credentials', { Host: `127.0.0.1:${p}`, Authorization: token }));
    expect([answer.status, answer.code]).toEqual([403, 'InvalidHost']);
  },
);

test('a Host with the listener port, or none, is served', async () => {
  for (const h of [host(), '127.0.0.1']) {
    const answer = await send(request('/v1/credentials', { Host: h, Authorization: token }));
    expect(answer.status).toBe(200);
  }
});

test('absolute-form target: Bun drops its authority, so the Host header is what is checked', async () => {
  // A foreign Host is refused whatever the target names.
  const foreign = await send(
    request(`http://${host()}/v1/credentials`, { Host: 'evil.example', Authorization: token }),
  );
  expect([foreign.status, foreign.code]).toEqual([403, 'InvalidHost']);
  // Pinned (README, limits): with a Host the agent serves, a foreign authority in the target is not seen.
  const pinned = await send(
    request('http://evil.example/v1/credentials', { Host: host(), Authorization: token }),
  );
  expect(pinned.status).toBe(200);
});

test.each(['get', 'Get', 'FOO'])(
  'method %s: Bun closes the connection without an answer; others are served',
  async (m) => {
    const answer = await send(request('/v1/credentials', { Host: host(), Authorization: token }, m));
    expect(answer.status).toBe(0);
    await expectServing();
  },
);

test('a body on GET /v1/credentials is 400 BodyNotAllowed, on a cache hit too', async () => {
  await expectServing();
  const mb = 'a'.repeat(1024 * 1024);
  const sized = await send(
    request(
      '/v1/credentials',
      { Host: host(), Authorization: token, 'Content-Length': String(mb.length) },
      'GET',
      mb,
    ),
  );
  expect([sized.status, sized.code]).toEqual([400, 'BodyNotAllowed']);
  const chunked = await send(
    request(
      '/v1/credentials',
      { Host: host(), Authorization: token, 'Transfer-Encoding': 'chunked' },
      'GET',
      '5\r\nhello\r\n0\r\n\r\n',
    ),
  );
  expect([chunked.status, chunked.code]).toEqual([400, 'BodyNotAllowed']);
  const empty = await send(
    request('/v1/credentials', { Host: host(), Authorization: token, 'Content-Length': '0' }),
  );
  expect(empty.status).toBe(200);
});
