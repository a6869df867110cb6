// Hostile requests against a real agent (signature verification on, the emulator behind it) on loopback:
// random and malformed tokens, headers, methods, paths, Host values and raw bytes. The agent must answer
// each with the right status class, never echo a token, never crash, and keep serving good requests.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import fc from 'fast-check';
import { type Stack, startStack } from '../helpers/stack.ts';
import { expectNoEcho, expectNoProblems, type ProcessWatch, settledRss, watchProcess } from './guards.ts';
import { credentialsRequest, rawRequest } from './raw-http.ts';
import { headerSafeToken, rawOnlyToken } from './token-arbitraries.ts';

/** Generous: the bound is about leaks that grow per case, not about the runtime's own heap growth. */
const MAX_RSS_GROWTH_BYTES = 256 * 1024 * 1024;
/** Per fuzz test; the whole file stays well under 30 s on a quiet machine. */
const FUZZ_TEST_TIMEOUT_MS = 25_000;
const KNOWN_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE'];
const FORBIDDEN_HEADERS = new Set([
  'host',
  'authorization',
  'content-length',
  'transfer-encoding',
  'connection',
]);

let stack: Stack;
let watch: ProcessWatch;
let port: number;
let host: string;
let genuine: string;
let genuineBody: string;
let rssBefore: number;

beforeAll(async () => {
  watch = watchProcess();
  stack = await startStack({ args: ['--rate-limit-per-client=0'] });
  host = new URL(stack.agent.url).host;
  port = Number(new URL(stack.agent.url).port);
  genuine = (await stack.tokenFile({ podName: 'fuzz-pod' })).token;
  genuineBody = await goodRequest();
  rssBefore = settledRss();
});
afterAll(async () => {
  watch.dispose();
  await stack.stop();
});

async function goodRequest(): Promise<string> {
  const res = await fetch(stack.credentialsUrl, { headers: { host, authorization: genuine } });
  expect(res.status).toBe(200);
  return res.text();
}

/** Same header and payload as the genuine token: only a differently spelled signature (non-canonical base64). */
function sameClaimsAsGenuine(token: string): boolean {
  const [h, p] = genuine.split('.');
  return token.startsWith(`${h}.${p}.`) && token.split('.').length === 3;
}

function expectAnswer(status: number, text: string, token: string, mayServe: boolean): void {
  if (status === 200) {
    expect(mayServe).toBe(true);
    expect(text.endsWith(genuineBody)).toBe(true);
  } else {
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expectNoEcho(text, token);
  }
}

test(
  'random and near-miss tokens with random extra headers: a 4xx without echo (thousands of cases)',
  async () => {
    const extraHeaders = fc.dictionary(
      fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((n) => !FORBIDDEN_HEADERS.has(n)),
      fc.string({ maxLength: 100 }).filter((v) => /^[\x21-\x7e]*$/.test(v)),
      { maxKeys: 5 },
    );
    await fc.assert(
      fc.asyncProperty(headerSafeToken(genuine), extraHeaders, async (token, extra) => {
        const res = await fetch(stack.credentialsUrl, { headers: { ...extra, host, authorization: token } });
        const text = await res.text();
        expectAnswer(res.status, text, token, sameClaimsAsGenuine(token));
        if (res.status !== 431) expect(res.headers.get('content-type')).toBe('application/json');
      }),
      { numRuns: 5_000 },
    );
    expect(await goodRequest()).toBe(genuineBody);
  },
  FUZZ_TEST_TIMEOUT_MS,
);

test(
  'random methods, paths and Host values over raw HTTP: 200 only for GET /v1/credentials on a bind host',
  async () => {
    const goodHosts = ['127.0.0.1', host, '127.0.0.1.', '127.0.0.1:80'];
    const hosts = fc.oneof(
      fc.constantFrom(...goodHosts).map((h) => ({ h, good: true })),
      fc
        .oneof(
          fc.domain(),
          fc.ipV4(),
          fc.ipV6().map((a) => `[${a}]`),
          fc.constantFrom(
            '127.0.0.10',

            '127.0.0.1:x',
            '[::1]',
            'localhost',
            '',
            ' ',
            '169.254.170.23',
          ),
        )
        .filter((h) => !goodHosts.includes(h))
        .map((h) => ({ h, good: false })),
    );
    const methods = fc.oneof(
      fc.constantFrom(...KNOWN_METHODS, 'CONNECT'),
      fc.stringMatching(/^[A-Z]{1,12}$/),
    );
    const paths = fc.oneof(
      fc.constantFrom(
        '/v1/credentials',
        '/v1/credentials?x=1',
        '/v1/credentials/',
        '/V1/credentials',
        '//v1/credentials',
      ),
      fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
      fc.constantFrom('/../../etc/passwd', '/%2e%2e/', '/v1/credentials%00', '*', '/metrics', '/healthz'),
    );
    const tokens = fc.oneof(
      fc.constant(genuine),
      headerSafeToken(genuine).filter((t) => t.length < 8_000),
    );
    await fc.assert(
      fc.asyncProperty(methods, paths, hosts, tokens, async (method, path, h, token) => {
        const req = `${method} ${path} HTTP/1.1\r\nHost: ${h.h}\r\nAuthorization: ${token}\r\nConnection: close\r\n\r\n`;
        const answer = await rawRequest(port, req);
        const pathname = path.split('?')[0];
        const mayServe =
          (method === 'GET' || method === 'HEAD') &&
          pathname === '/v1/credentials' &&
          h.good &&
          sameClaimsAsGenuine(token);
        if (method === 'HEAD' && answer.status === 200) {
          // Bun answers HEAD on a GET route with the GET's headers and no body.
          expect(mayServe).toBe(true);
          return;
        }
        // Bun's parser closes the connection on methods it does not know (and CONNECT), or answers 501.
        if (!KNOWN_METHODS.includes(method) && (answer.status === 0 || answer.status === 501)) {
          expectNoEcho(answer.text, token);
          return;
        }
        expectAnswer(answer.status, answer.text, token, mayServe);
      }),
      { numRuns: 2_000 },
    );
    expect(await goodRequest()).toBe(genuineBody);
  },
  FUZZ_TEST_TIMEOUT_MS,
);

test(
  'raw bytes fetch cannot send: unicode and control characters in tokens, garbage request lines',
  async () => {
    const garbage = fc.oneof(
      rawOnlyToken(genuine).map((t) => ({ req: credentialsRequest(host, t), token: t })),
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => ({ req: bytes, token: '' })),
      fc.string({ unit: 'binary', maxLength: 200 }).map((line) => ({ req: `${line}\r\n\r\n`, token: '' })),
      fc.constantFrom(
        {
          req: `GET /v1/credentials HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ${genuine}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
          token: genuine,
        },
        {
          req: `GET /v1/credentials HTTP/1.1\r\nHost: ${host}\r\nHost: evil\r\nAuthorization: ${genuine}\r\n\r\n`,
          token: genuine,
        },
        {
          req: `GET /v1/credentials HTTP/9.9\r\nHost: ${host}\r\nAuthorization: ${genuine}\r\n\r\n`,
          token: genuine,
        },
        { req: `GET /v1/credentials\r\nHost: ${host}\r\n\r\n`, token: '' },
        { req: `GET /v1/credentials HTTP/1.1\r\n${'X-A: b\r\n'.repeat(2_000)}\r\n`, token: '' },
      ),
    );
    await fc.assert(
      fc.asyncProperty(garbage, async ({ req, token }) => {
        const answer = await rawRequest(port, req, { timeoutMs: 2_000, endAfterWrite: true });
        // No answer at all (the server closed a request it could not parse) is acceptable; so is 505 for a
        // request that claimed another HTTP version. Any other 5xx would be the agent failing.
        if (answer.status !== 0 && answer.status !== 505) {
          expect(answer.status).toBeGreaterThanOrEqual(400);
          expect(answer.status).toBeLessThan(500);
        }
        if (token) expectNoEcho(answer.text, token);
      }),
      { numRuns: 2_000 },
    );
    expect(await goodRequest()).toBe(genuineBody);
  },
  FUZZ_TEST_TIMEOUT_MS,
);

test('after all cases: still serving, no unhandled rejection, bounded memory', async () => {
  expect(await goodRequest()).toBe(genuineBody);
  expectNoProblems(watch);
  expect(settledRss() - rssBefore).toBeLessThan(MAX_RSS_GROWTH_BYTES);
});
