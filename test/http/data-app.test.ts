// The data app routes every path; the credentials route hands the handler's answer back untouched, so a hit
// stays synchronous through Hono (no middleware, no Promise). Only the exact target is served.
import { describe, expect, test } from 'bun:test';
import type { Server } from 'bun';
import { CREDENTIALS_PATH, createDataApp, type DataEnv } from '../../src/http/data-app.ts';

/** A handler that records its calls and answers one fixed Response, as a cache hit does. */
function recordingHandler() {
  const calls: Array<{ req: Request; server: Server<undefined> }> = [];
  const hit = new Response('{"AccessKeyId":"x"}', { headers: { 'content-type': 'application/json' } });
  return {
    calls,
    hit,
    handler: (req: Request, server: Server<undefined>) => {
      calls.push({ req, server });
      return hit;
    },
  };
}

// The app only hands the server on to the handler; a stand-in object is enough to see that it does.
const server = { port: 80 } as unknown as Server<undefined>;
const exact: DataEnv = { server, exactTarget: true };
const resolved: DataEnv = { server, exactTarget: false };
const url = (path: string) => `http://127.0.0.1${path}`;

async function errorCode(res: Response | Promise<Response>): Promise<[number, string]> {
  const r = await res;
  return [r.status, ((await r.json()) as { code: string }).code];
}

describe('data app', () => {
  test('a GET of the exact target returns the handler Response itself, synchronously', () => {
    const h = recordingHandler();
    const app = createDataApp(h.handler);
    const req = new Request(url(`${CREDENTIALS_PATH}?x=1`));
    const res = app.fetch(req, exact);
    expect(res).toBe(h.hit);
    expect(h.calls).toHaveLength(1);
    expect(h.calls[0]!.req).toBe(req);
    expect(h.calls[0]!.server).toBe(server);
  });

  test('HEAD of the exact target is served by the same handler, without a body', async () => {
    const h = recordingHandler();
    const res = await createDataApp(h.handler).fetch(
      new Request(url(CREDENTIALS_PATH), { method: 'HEAD' }),
      exact,
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(h.calls.map((c) => c.req.method)).toEqual(['HEAD']);
  });

  test.each([
    ['a resolved spelling (dot segments)', CREDENTIALS_PATH, resolved],
    ['percent-encoded', '/v1/%63redentials', resolved],
    ['a trailing slash', `${CREDENTIALS_PATH}/`, exact],
    ['the root', '/', resolved],
    ['another path', '/latest/meta-data', resolved],
  ])('GET of %s is 404 NotFound and never reaches the handler', async (_name, path, env) => {
    const h = recordingHandler();
    const res = createDataApp(h.handler).fetch(new Request(url(path)), env);
    expect(await errorCode(res)).toEqual([404, 'NotFound']);
    expect(h.calls).toHaveLength(0);
  });

  test.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])(
    '%s on the path is 405 with Allow',
    async (method) => {
      const h = recordingHandler();
      const res = await createDataApp(h.handler).fetch(new Request(url(CREDENTIALS_PATH), { method }), exact);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
      expect(await errorCode(res)).toEqual([405, 'MethodNotAllowed']);
      expect(h.calls).toHaveLength(0);
    },
  );

  test('a handler that throws is answered as an internal error, not a crash', async () => {
    const app = createDataApp(() => {
      throw new Error('boom');
    });
    const res = await app.fetch(new Request(url(CREDENTIALS_PATH)), exact);
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain('boom');
  });
});
