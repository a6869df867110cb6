// Key source: discovery, URL and file sources, bounds, failure handling and rate-limited refreshes.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK } from 'jose';
import { createManualClock } from '../../src/clock.ts';
import { createLogger, createSilentLogger } from '../../src/observability/logger.ts';
import { createKeySource, type KeySourceOptions } from '../../src/token/jwks.ts';
import { MAX_JWKS_BYTES } from '../../src/token/jwks-loader.ts';
import { createTokenVerifier } from '../../src/token/token-verifier.ts';
import { createIssuerKey, type IssuerKey, type LocalIssuer, startLocalIssuer } from './local-issuer.ts';

const logger = createSilentLogger();
let rsa: IssuerKey;
let ec: IssuerKey;
let issuer: LocalIssuer;
let dir: string;

beforeAll(async () => {
  [rsa, ec] = await Promise.all([createIssuerKey('rsa-1'), createIssuerKey('ec-1', 'ES256')]);
  issuer = await startLocalIssuer([rsa, ec]);
  dir = mkdtempSync(join(tmpdir(), 'jwks-test-'));
});
afterAll(() => {
  issuer.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Handler = (url: string, path: string) => Response | Promise<Response>;

/** A loopback server answering every request with `handler`. */
function serve(handler: Handler) {
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: (req: Request): Response | Promise<Response> => handler(url, new URL(req.url).pathname),
  });
  const url: string = `http://127.0.0.1:${server.port}`;
  return { url, stop: () => server.stop(true) };
}

async function loaded(options: Omit<KeySourceOptions, 'logger'>, lines: string[] = []) {
  const capture = createLogger('info', { write: (line: string) => void lines.push(line) });
  const source = createKeySource({ logger: capture, ...options });
  await source.start();
  source.close();
  return source;
}

function reasons(lines: string[]): string[] {
  return lines.map((l) => JSON.parse(l) as { reason?: string }).flatMap((l) => (l.reason ? [l.reason] : []));
}

describe('createKeySource', () => {
  test('needs a source', () => {
    expect(() => createKeySource({ logger })).toThrow(TypeError);
  });

  test('discovers jwks_uri from the configured issuer and loads its keys', async () => {
    const before = { ...issuer.stats };
    const source = await loaded({ tokenIssuer: `${issuer.url}/` });
    expect(source.current()?.keys.map((k) => k.kid)).toEqual(['rsa-1', 'ec-1']);
    expect(issuer.stats.discovery).toBe(before.discovery + 1);
    expect(issuer.stats.jwks).toBe(before.jwks + 1);
  });

  test('keeps only public members and only signing keys', async () => {
    const privateJwk = { ...(await exportJWK(rsa.privateKey)), kid: 'rsa-1' };
    const keys = [privateJwk, { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' }, { ...ec.publicJwk, use: 'enc' }];
    const server = serve(() => Response.json({ keys }));
    try {
      const set = (await loaded({ jwksUrl: server.url })).current();
      expect(set?.keys.length).toBe(1);
      const jwk = set!.keys[0]!.jwk as unknown as Record<string, unknown>;
      expect(Object.keys(jwk).sort()).toEqual(['e', 'kid', 'kty', 'n']);
    } finally {
      server.stop();
    }
  });

  // Discovery answers correctly unless the case is about discovery; the JWKS answer is the case.
  const discovery = (url: string) => Response.json({ issuer: url, jwks_uri: `${url}/keys` });
  const jwksCase =
    (jwks: () => Response): Handler =>
    (url, path) =>
      path === '/keys' ? jwks() : discovery(url);
  const broken: [string, Handler, string][] = [
    [
      'discovery naming another issuer',
      () => Response.json({ issuer: 'https://other.example', jwks_uri: 'x' }),
      'issuer discovery document names a different issuer',
    ],
    [
      'discovery without jwks_uri',
      (url) => Response.json({ issuer: url }),
      'issuer discovery document has no jwks_uri',
    ],
    [
      'discovery with a non-http jwks_uri',
      (url) => Response.json({ issuer: url, jwks_uri: 'file:///etc/keys' }),
      'issuer discovery document has an invalid jwks_uri',
    ],
    ['a JWKS that is not JSON', jwksCase(() => new Response('{oops')), 'JWKS endpoint is not valid JSON'],
    [
      'a JWKS without keys',
      jwksCase(() => Response.json({ keys: 'none' })),
      'JWKS endpoint has no keys array',
    ],
    [
      'a JWKS with only symmetric keys',
      jwksCase(() => Response.json({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })),
      'JWKS endpoint has no usable signing keys',
    ],
    [
      'an oversized JWKS',
      jwksCase(() => new Response('x'.repeat(MAX_JWKS_BYTES + 1))),
      `JWKS endpoint is larger than ${MAX_JWKS_BYTES} bytes`,
    ],
    [
      'a JWKS answering HTTP 500',
      jwksCase(() => new Response('no', { status: 500 })),
      'JWKS endpoint answered HTTP 500',
    ],
  ];

  test.each(broken)('loads no keys from %s', async (_name, handler, reason) => {
    const server = serve(handler);
    const lines: string[] = [];
    try {
      expect((await loaded({ tokenIssuer: server.url }, lines)).current()).toBeUndefined();
      expect(reasons(lines)).toEqual([reason]);
    } finally {
      server.stop();
    }
  });

  test('a JWKS fetch that hangs is bounded by fetchTimeoutMs', async () => {
    const server = serve(() => new Promise<Response>(() => {}));
    try {
      const lines: string[] = [];
      expect((await loaded({ jwksUrl: server.url, fetchTimeoutMs: 50 }, lines)).current()).toBeUndefined();
      expect(reasons(lines)).toEqual(['JWKS endpoint timed out after 50 ms']);
    } finally {
      server.stop();
    }
  });

  test('a JWKS file is re-read on refresh; the version moves only when the keys change', async () => {
    const file = join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [rsa.publicJwk] }));
    const source = await loaded({ jwksFile: file });
    expect(source.current()?.version).toBe(1);
    expect(await source.refresh()).toBe(false);
    expect(source.current()?.version).toBe(1);
    writeFileSync(file, JSON.stringify({ keys: [rsa.publicJwk, ec.publicJwk] }));
    expect(await source.refresh()).toBe(true);
    expect(source.current()?.version).toBe(2);
    const ids = source.current()!.keys.map((k) => k.keyId);
    expect(ids.map((id) => id.split('.').slice(1).join('.'))).toEqual(['2.0', '2.1']);
    expect(new Set(ids.map((id) => id.split('.')[0])).size).toBe(1);
    // A broken file keeps the last good set.
    writeFileSync(file, 'not json');
    expect(await source.refresh()).toBe(false);
    expect(source.current()?.keys.length).toBe(2);
  });

  test('concurrent refreshes share one fetch; unknown-kid refreshes are rate-limited by the clock', async () => {
    const clock = createManualClock();
    const source = await loaded({ jwksUrl: issuer.jwksUrl, clock, minRefreshIntervalMs: 30_000 });
    const start = issuer.stats.jwks;
    await Promise.all([source.refresh(), source.refresh(), source.refresh()]);
    expect(issuer.stats.jwks).toBe(start + 1);
    expect(await source.refreshForUnknownKey()).toBe('rate-limited');
    clock.advance(29_999);
    await source.refreshForUnknownKey();
    expect(issuer.stats.jwks).toBe(start + 1);
    clock.advance(1);
    await source.refreshForUnknownKey();
    expect(issuer.stats.jwks).toBe(start + 2);
  });

  test("a token's own iss never decides where keys come from", async () => {
    const attackerKey = await createIssuerKey('rsa-1');
    const attacker = await startLocalIssuer([attackerKey]);
    const clock = createManualClock();
    const source = createKeySource({ tokenIssuer: issuer.url, clock, logger });
    await source.start();
    const verifier = createTokenVerifier({ keySource: source, issuer: undefined, workers: 0, clock });
    try {
      const token = await attacker.sign({ nowSeconds: clock.now() / 1000, kid: 'brand-new' });
      clock.advance(60_000);
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'TokenRejected' });
      expect(attacker.stats).toEqual({ discovery: 0, jwks: 0 });
    } finally {
      await verifier.close();
      source.close();
      attacker.stop();
    }
  });
});
