// The client against real HTTP servers on loopback: success, each error class, timeout, retries with
// backoff, deadline, concurrency bound, proxy, shutdown, metrics and logs.
import { afterEach, describe, expect, test } from 'bun:test';
import { Writable } from 'node:stream';
import { createManualClock } from '../../src/clock.ts';
import { createEksAuthClient, type EksAuthClientOptions } from '../../src/eks-auth/client.ts';
import { EksAuthError } from '../../src/eks-auth/errors.ts';
import { AgentError } from '../../src/errors.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';

const TOKEN =
  'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDpteS1zYSJ9.c2lnbmF0dXJl';
const NODE = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

const OK_BODY = JSON.stringify({
  subject: { namespace: 'default', serviceAccount: 'my-sa' },
  audience: 'pods.eks.amazonaws.com',
  podIdentityAssociation: {
    associationArn: 'arn:aws:eks:us-west-2:111122223333:podidentityassociation/c/a-1',
    associationId: 'a-1',
  },
  assumedRoleUser: { arn: 'arn:aws:sts::111122223333:assumed-role/r/s', assumeRoleId: 'AROA:s' },
  credentials: {
    sessionToken: 'POD-SESSION',
    secretAccessKey: 'POD-SECRET',
    accessKeyId: 'ASIAPOD',
    expiration: 1764331200,
  },
});

type Handler = (req: Request, n: number) => Response | Promise<Response>;
const servers: Array<{ stop(force?: boolean): unknown }> = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop(true);
});

function serve(handler: Handler) {
  const seen: Array<{ url: string; headers: Headers; body: string }> = [];
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      seen.push({ url: req.url, headers: req.headers, body: await req.clone().text() });
      return handler(req, seen.length);
    },
  });
  servers.push(server);
  return { endpoint: `http://127.0.0.1:${server.port}`, seen };
}

const ok = () =>
  new Response(OK_BODY, { headers: { 'content-type': 'application/json', 'x-amzn-requestid': 'rid-ok' } });
const awsError = (status: number, code: string, message = 'boom') =>
  new Response(JSON.stringify({ message }), {
    status,
    headers: { 'x-amzn-errortype': code, 'x-amzn-requestid': `rid-${code}` },
  });

function client(endpoint: string, extra: Partial<EksAuthClientOptions> = {}) {
  return createEksAuthClient({
    region: 'us-west-2',
    clusterName: 'my-cluster',
    endpoint,
    credentials: async () => NODE,
    proxyEnv: {},
    sleep: async () => {},
    ...extra,
  });
}

async function failure(p: Promise<unknown>): Promise<EksAuthError> {
  try {
    await p;
  } catch (err) {
    return err as EksAuthError;
  }
  throw new Error('expected a failure');
}

describe('EKS Auth client on loopback', () => {
  test('success: request shape, signature headers, parsed result', async () => {
    const s = serve(ok);
    const result = await client(s.endpoint).assumeRoleForPodIdentity(TOKEN);
    expect(result.credentials.accessKeyId).toBe('ASIAPOD');
    expect(result.credentials.expiration.getTime()).toBe(1764331200_000);
    expect(result.accountId).toBe('111122223333');
    expect(result.requestId).toBe('rid-ok');
    expect(s.seen).toHaveLength(1);
    const req = s.seen[0]!;
    expect(new URL(req.url).pathname).toBe('/clusters/my-cluster/assume-role-for-pod-identity');
    expect(JSON.parse(req.body)).toEqual({ token: TOKEN });
    expect(req.headers.get('content-type')).toBe('application/json');
    expect(req.headers.get('authorization')).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/us-west-2\/eks-auth\/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(req.headers.get('x-amz-date')).toMatch(/^\d{8}T\d{6}Z$/);
  });

  test('cluster name is URI-encoded in the path', async () => {
    const s = serve(ok);
    await client(s.endpoint, { clusterName: 'a/b c' }).assumeRoleForPodIdentity(TOKEN);
    expect(new URL(s.seen[0]!.url).pathname).toBe('/clusters/a%2Fb%20c/assume-role-for-pod-identity');
  });

  const errorRows: Array<[string, Handler, string, string, number]> = [
    [
      'modelled non-retryable',
      () => awsError(400, 'InvalidTokenException'),
      'InvalidTokenException',
      'modelled',
      1,
    ],
    ['modelled denied', () => awsError(403, 'AccessDeniedException'), 'AccessDeniedException', 'modelled', 1],
    ['modelled retryable', () => awsError(429, 'ThrottlingException'), 'ThrottlingException', 'modelled', 3],
    ['5xx without code', () => new Response('<html/>', { status: 502 }), 'UpstreamHttpError', 'http', 3],
    ['4xx without code', () => new Response('nope', { status: 418 }), 'UpstreamHttpError', 'http', 1],
    [
      'redirect is not followed',
      () => new Response(null, { status: 307, headers: { location: 'http://127.0.0.1:1/' } }),
      'UpstreamHttpError',
      'http',
      1,
    ],
    ['malformed 200', () => new Response('{"audience":"x"}'), 'UpstreamMalformedResponse', 'malformed', 3],
    [
      'oversized 200',
      () => new Response(`{"pad":"${'x'.repeat(70_000)}"}`),
      'UpstreamMalformedResponse',
      'malformed',
      3,
    ],
  ];
  for (const [name, handler, code, kind, attempts] of errorRows) {
    test(`error: ${name}`, async () => {
      const s = serve(handler);
      const err = await failure(client(s.endpoint).assumeRoleForPodIdentity(TOKEN));
      expect(err).toBeInstanceOf(EksAuthError);
      expect(err.code).toBe(code as never);
      expect(err.kind).toBe(kind as never);
      expect(s.seen).toHaveLength(attempts);
      expect(err.message).not.toContain(TOKEN);
    });
  }

  test('network error: connection refused', async () => {
    const s = serve(ok);
    const port = new URL(s.endpoint).port;
    servers.pop()!.stop(true);
    const err = await failure(
      client(`http://127.0.0.1:${port}`, { maxAttempts: 2 }).assumeRoleForPodIdentity(TOKEN),
    );
    expect([err.code, err.kind, err.retryable]).toEqual(['UpstreamUnreachable', 'network', true]);
  });

  test('timeout: a server that never answers', async () => {
    const s = serve(() => new Promise<Response>(() => {}));
    const err = await failure(
      client(s.endpoint, { requestTimeoutMs: 150, maxAttempts: 2 }).assumeRoleForPodIdentity(TOKEN),
    );
    expect([err.code, err.kind, err.status]).toEqual(['UpstreamTimeout', 'timeout', 504]);
    expect(s.seen).toHaveLength(2);
  });

  test('retries with full-jitter backoff, re-signing each attempt, then succeeds', async () => {
    const s = serve((_req, n) => (n < 3 ? awsError(503, 'ServiceUnavailableException') : ok()));
    const clock = createManualClock();
    const delays: number[] = [];
    const c = client(s.endpoint, {
      clock,
      random: () => 0.5,
      baseBackoffMs: 100,
      maxBackoffMs: 2000,
      sleep: async (ms) => {
        delays.push(ms);
        clock.advance(ms + 1000);
      },
    });
    const result = await c.assumeRoleForPodIdentity(TOKEN);
    expect(result.requestId).toBe('rid-ok');
    expect(delays).toEqual([50, 100]);
    const dates = s.seen.map((r) => r.headers.get('x-amz-date'));
    expect(new Set(dates).size).toBe(3);
  });

  test('backoff is capped by maxBackoffMs', async () => {
    const s = serve(() => awsError(500, 'InternalServerException'));
    const delays: number[] = [];
    const c = client(s.endpoint, {
      maxAttempts: 6,
      random: () => 0.999,
      baseBackoffMs: 100,
      maxBackoffMs: 300,
      sleep: async (ms) => void delays.push(ms),
    });
    await failure(c.assumeRoleForPodIdentity(TOKEN));
    expect(delays).toEqual([99, 199, 299, 299, 299]);
  });

  test('deadline: no attempt starts after it', async () => {
    // Not throttling: paced waits follow the fair gate's timers (tested in fair-gate.test.ts).
    const s = serve(() => awsError(503, 'ServiceUnavailableException'));
    const clock = createManualClock();
    const c = client(s.endpoint, {
      clock,
      monotonicNow: () => clock.monotonic(),
      maxAttempts: 10,
      random: () => 1 - 1e-9,
      baseBackoffMs: 100,
      sleep: async (ms) => clock.advance(ms),
    });
    const err = await failure(c.assumeRoleForPodIdentity(TOKEN, { budgetMs: 250 }));
    expect(err.code).toBe('ServiceUnavailableException');
    // attempt 1 at t=0, wait 99 -> attempt 2 at t=99, next wait 199 would end at 298 >= 250: stop.
    expect(s.seen).toHaveLength(2);
  });

  test('concurrency bound: never more than maxConcurrency in flight; queue overflow is Overloaded', async () => {
    let inFlight = 0;
    let maxSeen = 0;
    const gates: Array<() => void> = [];
    let arrived = () => {};
    const s = serve(async () => {
      inFlight++;
      maxSeen = Math.max(maxSeen, inFlight);
      await new Promise<void>((r) => {
        gates.push(r);
        arrived();
      });
      inFlight--;
      return ok();
    });
    const c = client(s.endpoint, { maxConcurrency: 3, maxQueue: 4, requestTimeoutMs: 5000 });
    const calls = Array.from({ length: 7 }, () => c.assumeRoleForPodIdentity(TOKEN));
    const overflow = await failure(c.assumeRoleForPodIdentity(TOKEN));
    expect(overflow).toBeInstanceOf(AgentError);
    expect([overflow.code, overflow.status, overflow.retryable]).toEqual(['Overloaded', 503, true]);
    // Release the server one request at a time, each time once as many as may be in flight have arrived.
    for (let released = 0; released < 7; released++) {
      while (gates.length < Math.min(3, 7 - released)) await new Promise<void>((r) => (arrived = r));
      gates.shift()?.();
    }
    await Promise.all(calls);
    expect(maxSeen).toBe(3);
    expect(s.seen).toHaveLength(7);
  });

  test('proxy: HTTP_PROXY is used for a non-loopback endpoint; NO_PROXY bypasses it', async () => {
    const upstream = serve(ok);
    const proxied: string[] = [];
    // A tiny forward proxy: absolute-form request line in, same request to the loopback upstream out.
    const proxy = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      async fetch(req) {
        proxied.push(req.url);
        const target = new URL(req.url);
        const headers = new Headers(req.headers);
        return fetch(`${upstream.endpoint}${target.pathname}`, {
          method: req.method,
          headers,
          body: await req.text(),
          proxy: false,
        });
      },
    });
    servers.push(proxy);
    const proxyEnv = { HTTP_PROXY: `http://127.0.0.1:${proxy.port}` };
    const viaProxy = client('http://eks-auth.example.test:8080', { proxyEnv });
    expect((await viaProxy.assumeRoleForPodIdentity(TOKEN)).accountId).toBe('111122223333');
    expect(proxied).toEqual([
      'http://eks-auth.example.test:8080/clusters/my-cluster/assume-role-for-pod-identity',
    ]);
    // The upstream saw the signed Host of the original endpoint.
    expect(upstream.seen[0]!.headers.get('authorization')).toContain(
      'SignedHeaders=content-type;host;x-amz-date',
    );

    const bypass = client('http://eks-auth.example.test:8080', {
      proxyEnv: { ...proxyEnv, NO_PROXY: '.example.test' },
      maxAttempts: 1,
    });
    const err = await failure(bypass.assumeRoleForPodIdentity(TOKEN));
    expect(err.code).toBe('UpstreamUnreachable');
    expect(proxied).toHaveLength(1);
  });

  test('HTTPS_PROXY: a CONNECT tunnel is requested for the default https endpoint', async () => {
    const connects: string[] = [];
    const proxy = Bun.listen({
      hostname: '127.0.0.1',
      port: 0,
      socket: {
        data(socket, data) {
          connects.push(data.toString('latin1').split('\r\n')[0]!);
          socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
        },
      },
    });
    servers.push(proxy);
    const c = createEksAuthClient({
      region: 'us-west-2',
      clusterName: 'c',
      credentials: async () => NODE,
      proxyEnv: { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}` },
      maxAttempts: 1,
    });
    const err = await failure(c.assumeRoleForPodIdentity(TOKEN));
    expect(err.kind).toBe('network');
    expect(connects[0]).toBe('CONNECT eks-auth.us-west-2.api.aws:443 HTTP/1.1');
  });

  test('close() cancels waits and refuses new calls with ShuttingDown', async () => {
    const s = serve(() => awsError(503, 'ServiceUnavailableException'));
    let c!: ReturnType<typeof client>;
    c = client(s.endpoint, {
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => {
          c.close();
          signal?.addEventListener('abort', () => reject(signal.reason));
          if (signal?.aborted) reject(signal.reason);
        }),
    });
    const err = await failure(c.assumeRoleForPodIdentity(TOKEN));
    expect(err.code).toBe('ShuttingDown');
    expect((await failure(c.assumeRoleForPodIdentity(TOKEN))).code).toBe('ShuttingDown');
    expect(s.seen).toHaveLength(1);
  });

  test('bad input is a clear error without a request', async () => {
    const s = serve(ok);
    const c = client(s.endpoint);
    expect((await failure(c.assumeRoleForPodIdentity(''))).code).toBe('InvalidToken');
    expect((await failure(c.assumeRoleForPodIdentity('x'.repeat(20_000)))).code).toBe('InvalidToken');
    expect(s.seen).toHaveLength(0);
    expect(() => client('not a url')).toThrow(/not a URL/);
    expect(() => client('ftp://x')).toThrow(/http/);
    expect(() => createEksAuthClient({ region: 'us-west-2', clusterName: '' })).toThrow(/cluster name/);
  });

  test('node credentials failure is classified, retryable, and sends nothing', async () => {
    const s = serve(ok);
    const c = client(s.endpoint, {
      maxAttempts: 1,
      credentials: async () => Promise.reject(new Error('no IMDS')),
    });
    const err = await failure(c.assumeRoleForPodIdentity(TOKEN));
    expect([err.code, err.kind, err.retryable]).toEqual(['NodeCredentialsUnavailable', 'credentials', true]);
    expect(err.message).toContain('no IMDS');
    expect(s.seen).toHaveLength(0);
  });

  test('metrics and one log line per attempt, without token or credentials', async () => {
    const s = serve((_req, n) =>
      n === 1 ? awsError(429, 'ThrottlingException', `slow down ${TOKEN}`) : ok(),
    );
    const metrics = createMetrics();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        cb();
      },
    });
    const logger = createLogger('debug', sink);
    await client(s.endpoint, { metrics, logger }).assumeRoleForPodIdentity(TOKEN, { reason: 'refresh' });
    logger.flush();
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'pod_identity_upstream_calls_total{reason="refresh",result="ThrottlingException"} 1',
    );
    expect(text).toContain('pod_identity_upstream_calls_total{reason="refresh",result="success"} 1');
    expect(text).toContain('pod_identity_upstream_retries_total 1');
    expect(text).toContain('pod_identity_upstream_in_flight 0');
    expect(text).toContain(
      'pod_identity_upstream_duration_seconds_count{reason="refresh",result="success"} 1',
    );
    expect(lines).toHaveLength(2);
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first).toMatchObject({
      attempt: 1,
      code: 'ThrottlingException',
      status: 429,
      requestId: 'rid-ThrottlingException',
      reason: 'refresh',
    });
    expect(second).toMatchObject({ attempt: 2, status: 200, requestId: 'rid-ok' });
    const all = lines.join('\n') + text;
    for (const secret of [TOKEN, TOKEN.split('.')[1]!, 'POD-SECRET', 'POD-SESSION', NODE.secretAccessKey]) {
      expect(all).not.toContain(secret);
    }
  });
});
