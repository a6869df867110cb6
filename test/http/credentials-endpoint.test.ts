// The data listener over real HTTP on loopback, with a fake EKS Auth behind it.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type Agent, startAgent } from '../../src/agent/agent.ts';
import { systemClock } from '../../src/clock.ts';
import { AgentError } from '../../src/errors.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { testConfig } from '../helpers/agent-config.ts';
import { createFakeEksAuth, deferred } from '../helpers/fake-eks-auth.ts';
import { unsignedToken } from '../helpers/tokens.ts';

const upstream = createFakeEksAuth(systemClock);
let agent: Agent;
let host: string;
const nowSeconds = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  agent = await startAgent(testConfig(['--client-patience=200ms']), {
    client: upstream,
    logger: createSilentLogger(),
    withoutSideListeners: true,
  });
  host = new URL(agent.url).host;
});
afterAll(() => agent.stop());

async function json(res: Response): Promise<Record<string, string>> {
  return (await res.json()) as Record<string, string>;
}

function get(path: string, headers: Record<string, string>, method = 'GET') {
  return fetch(`${agent.url}${path}`, { method, headers: { host, ...headers } });
}

describe('GET /v1/credentials', () => {
  test('serves credentials in the container-credentials format, then from the cache', async () => {
    const token = unsignedToken({ expSeconds: nowSeconds() + 3600 });
    const calls = upstream.calls.length;
    const first = await get('/v1/credentials', { authorization: token });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/json');
    const body = (await first.json()) as Record<string, string>;
    expect(body).toMatchObject({ AccountId: '111122223333' });
    expect(body.Expiration).toMatch(/Z$/);
    const second = await get('/v1/credentials', { authorization: token });
    expect(await json(second)).toEqual(body);
    expect(upstream.calls.length).toBe(calls + 1);
  });

  test.each([
    ['foreign Host', { host: 'evil.example', authorization: 'x.y.z' }, 403, 'InvalidHost'],
    [
      'Host that only starts like the bind host',
      { host: '127.0.0.10', authorization: 'x.y.z' },
      403,
      'InvalidHost',
    ],
    ['no Authorization', {}, 400, 'MissingAuthorization'],
    ['empty Authorization', { authorization: '' }, 400, 'MissingAuthorization'],
    ['not a JWT', { authorization: 'not-a-jwt' }, 400, 'InvalidToken'],
    ['expired token', { authorization: unsignedToken({ expSeconds: 1000 }) }, 400, 'InvalidToken'],
  ])('%s -> %d %s, with both spellings and no echo', async (_name, headers, status, code) => {
    const res = await get('/v1/credentials', headers as Record<string, string>);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/json');
    const text = await res.text();
    expect(text.includes('\n')).toBe(false);
    const body = JSON.parse(text);
    expect(body.code).toBe(code);
    expect(body.Code).toBe(code);
    expect(body.message).toBe(body.Message);
    const auth = (headers as Record<string, string>).authorization;
    if (auth && auth.length > 8) expect(text.includes(auth)).toBe(false);
  });

  test('Host header spellings of the bind host are accepted', async () => {
    const token = unsignedToken({ expSeconds: nowSeconds() + 3600 });
    // With a port, only the listener's own (issue 13: any port was accepted; request-edges.test.ts).
    const port = new URL(`http://${host}`).port;
    for (const h of ['127.0.0.1', host, `127.0.0.1.:${port}`, '127.0.0.1.']) {
      const res = await get('/v1/credentials', { host: h, authorization: token });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
  });

  test('headers beyond the server bound are refused before any work', async () => {
    const calls = upstream.calls.length;
    const res = await get('/v1/credentials', { authorization: 'a'.repeat(20 * 1024) });
    expect(res.status).toBe(431);
    expect(upstream.calls.length).toBe(calls);
  });

  test('other paths are 404 and other methods 405, as JSON', async () => {
    const notFound = await get('/latest/meta-data', {});
    expect(notFound.status).toBe(404);
    expect((await json(notFound)).code).toBe('NotFound');
    const root = await get('/', {});
    expect(root.status).toBe(404);
    await root.arrayBuffer();
    const post = await get('/v1/credentials', { authorization: 'x' }, 'POST');
    expect(post.status).toBe(405);
    expect((await json(post)).Code).toBe('MethodNotAllowed');
  });

  test('upstream errors map to the SDK-friendly status with the AWS code', async () => {
    const saved = upstream.behaviour;
    try {
      for (const [code, status] of [
        ['AccessDeniedException', 403],
        ['ResourceNotFoundException', 400],
        ['ThrottlingException', 503],
        ['ServiceUnavailableException', 503],
      ] as const) {
        upstream.behaviour = async () => {
          throw new AgentError(code, `upstream said ${code}`);
        };
        const res = await get('/v1/credentials', {
          authorization: unsignedToken({ expSeconds: nowSeconds() + 60 }),
        });
        expect(res.status).toBe(status);
        expect((await json(res)).code).toBe(code);
      }
    } finally {
      upstream.behaviour = saved;
    }
  });

  test('a client that gives up does not cancel the upstream call: the retry is a hit', async () => {
    const gate = deferred<void>();
    const saved = upstream.behaviour;
    upstream.behaviour = async (call, n) => {
      await gate.promise;
      return upstream.success(call, n);
    };
    try {
      const token = unsignedToken({ expSeconds: nowSeconds() + 3600 });
      const calls = upstream.calls.length;
      const aborted = await fetch(`${agent.url}/v1/credentials`, {
        headers: { host, authorization: token },
        signal: AbortSignal.timeout(50),
      }).catch((e) => e);
      expect(aborted).toBeInstanceOf(Error);
      const patient = await get('/v1/credentials', { authorization: token });
      expect(patient.status).toBe(503);
      expect((await json(patient)).code).toBe('RequestTimeoutException');
      gate.resolve();
      // Joins the call if it is still settling, or hits what it cached: either way no second call.
      const retry = await get('/v1/credentials', { authorization: token });
      expect(retry.status).toBe(200);
      await retry.arrayBuffer();
      expect(upstream.calls.length).toBe(calls + 1);
    } finally {
      upstream.behaviour = saved;
    }
  });
});
