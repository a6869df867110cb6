// The node's credentials from IMDS without the SDK: against a real HTTP stand-in for IMDS on loopback
// (src/emulator/imds.ts), side by side with the SDK's own IMDS provider on the same server, and the decision of
// when the agent may skip the SDK chain.
import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fromInstanceMetadata } from '@smithy/credential-provider-imds';
import { createManualClock, systemClock } from '../../src/clock.ts';
import {
  type ChainInputs,
  chainReachesImds,
  createImdsCredentials,
  IMDS_DEFAULTS,
  imdsEndpoint,
} from '../../src/eks-auth/imds-credentials.ts';
import { createNodeCredentials } from '../../src/eks-auth/node-credentials.ts';
import { type ImdsCredentials, type ImdsStandIn, startImdsStandIn } from '../../src/emulator/imds.ts';
import { createLogger } from '../../src/observability/logger.ts';

const SECRET = 'imds-secret-wJalrXUtnFEMI/K7MDENG';
const creds = (overrides: Partial<ImdsCredentials> = {}): ImdsCredentials => ({
  accessKeyId: 'ASIAIMDSNODE',
  secretAccessKey: SECRET,
  sessionToken: 'imds-session-token',
  expiration: new Date(Math.floor(Date.now() / 1000) * 1000 + 6 * 3600_000),
  ...overrides,
});

const servers: ImdsStandIn[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});
function standIn(options: Partial<Parameters<typeof startImdsStandIn>[0]> = {}) {
  const s = startImdsStandIn({ credentials: creds(), ...options });
  servers.push(s);
  return s;
}

/** A logger whose lines are kept, to check what was logged (and that no secret was). */
function capturingLogger() {
  const lines: string[] = [];
  return { logger: createLogger('debug', { write: (l: string) => void lines.push(l) }), lines };
}

function provider(s: ImdsStandIn, env: Record<string, string> = {}, timeoutMs?: number) {
  const { logger, lines } = capturingLogger();
  const get = createImdsCredentials({
    env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: s.url, ...env },
    clock: systemClock,
    logger,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  return { get, lines };
}

const emptyHome = mkdtempSync(join(tmpdir(), 'imds-home-'));
afterAll(() => rmSync(emptyHome, { recursive: true, force: true }));

/** Runs the SDK's fromInstanceMetadata with this process's environment pointed at the stand-in. */
async function sdkAgainst(s: ImdsStandIn, env: Record<string, string> = {}, loads = 1, timeout?: number) {
  const vars = { AWS_EC2_METADATA_SERVICE_ENDPOINT: s.url, HOME: emptyHome, ...env };
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  try {
    const get = fromInstanceMetadata({
      logger: { ...console, warn() {}, debug() {} } as never,
      ...(timeout === undefined ? {} : { timeout }),
    });
    for (let i = 1; i < loads; i++) await get();
    return await get();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('IMDS credentials, as the SDK gets them', () => {
  test('IMDSv2: a token, the role name, the role credentials; the same result as the SDK on the same server', async () => {
    const s = standIn({ httpTokens: 'required', credentials: creds({ accountId: '111122223333' }) });
    const ours = await provider(s).get();
    expect(s.stats).toEqual({ tokenPuts: 1, getsWithToken: 2, getsWithoutToken: 0, credentialGets: 1 });
    const sdk = await sdkAgainst(s);
    expect(ours).toEqual({
      accessKeyId: sdk.accessKeyId,
      secretAccessKey: sdk.secretAccessKey,
      sessionToken: sdk.sessionToken,
      expiration: sdk.expiration,
      accountId: sdk.accountId,
    });
    expect(ours.accessKeyId).toBe('ASIAIMDSNODE');
    expect(ours.accountId).toBe('111122223333');
  });

  for (const status of [403, 404, 405] as const) {
    test(`the token route answers ${status}: IMDSv1, and later loads skip the token request (as the SDK)`, async () => {
      const s = standIn({ tokenRoute: status });
      const { get } = provider(s);
      expect((await get()).accessKeyId).toBe('ASIAIMDSNODE');
      expect(await get()).toBeDefined();
      expect(s.stats.tokenPuts).toBe(1);
      expect(s.stats.getsWithoutToken).toBe(4);
      const sdk = await sdkAgainst(s);
      expect(sdk.accessKeyId).toBe('ASIAIMDSNODE');
    });
  }

  test('a token route that never answers times out into IMDSv1 for that load; the next load asks again (as the SDK)', async () => {
    const s = standIn({ tokenRoute: 'hang' });
    const { get } = provider(s, {}, 100);
    expect((await get()).accessKeyId).toBe('ASIAIMDSNODE');
    expect(s.stats.getsWithoutToken).toBe(2);
    expect((await get()).accessKeyId).toBe('ASIAIMDSNODE');
    // Two loads, two token requests: a passing timeout does not make a node use IMDSv1 for good.
    expect(s.stats.tokenPuts).toBe(2);
    const sdkServer = standIn({ tokenRoute: 'hang' });
    expect((await sdkAgainst(sdkServer, {}, 2, 100)).accessKeyId).toBe('ASIAIMDSNODE');
    expect(sdkServer.stats.tokenPuts).toBe(2);
  });

  test('AWS_EC2_METADATA_V1_DISABLED: a timed-out or refused token request does not stop later loads asking for one', async () => {
    for (const failing of ['hang', 404] as const) {
      const s = standIn({ tokenRoute: failing, httpTokens: 'required' });
      const { get } = provider(s, { AWS_EC2_METADATA_V1_DISABLED: 'true' }, 100);
      await expect(get()).rejects.toThrow('AWS_EC2_METADATA_V1_DISABLED');
      s.set({ tokenRoute: 'issue' });
      expect((await get()).accessKeyId).toBe('ASIAIMDSNODE');
      expect(s.stats).toEqual({ tokenPuts: 2, getsWithToken: 2, getsWithoutToken: 0, credentialGets: 1 });
    }
  });

  test('IMDSv1 refused with 401 (tokens required after all): the load fails, the next one asks for a token again', async () => {
    const s = standIn({ tokenRoute: 404, httpTokens: 'required' });
    const { get } = provider(s);
    await expect(get()).rejects.toThrow('answered 401');
    s.set({ tokenRoute: 'issue' });
    expect((await get()).accessKeyId).toBe('ASIAIMDSNODE');
    expect(s.stats.tokenPuts).toBe(2);
  });

  test('a 400 from the token route is an error, not a fallback', async () => {
    const s = standIn({ tokenRoute: 400 });
    await expect(provider(s).get()).rejects.toThrow('400');
    expect(s.stats.getsWithoutToken + s.stats.getsWithToken).toBe(0);
  });

  test('AWS_EC2_METADATA_V1_DISABLED blocks the fallback; "false" does not', async () => {
    const s = standIn({ tokenRoute: 404 });
    await expect(provider(s, { AWS_EC2_METADATA_V1_DISABLED: 'true' }).get()).rejects.toThrow(
      'AWS_EC2_METADATA_V1_DISABLED',
    );
    expect(s.stats.getsWithoutToken).toBe(0);
    expect((await provider(s, { AWS_EC2_METADATA_V1_DISABLED: 'false' }).get()).accessKeyId).toBe(
      'ASIAIMDSNODE',
    );
  });

  test('bad credential documents are errors that echo nothing of the document', async () => {
    const bodies = [
      `not json ${SECRET}`,
      JSON.stringify({ Code: 'Success', AccessKeyId: 'A', SecretAccessKey: SECRET, Token: 't' }),
      JSON.stringify({ AccessKeyId: 'A', SecretAccessKey: SECRET, Token: 't', Expiration: 'soon' }),
      JSON.stringify({
        AccessKeyId: 'A',
        SecretAccessKey: SECRET,
        Token: 7,
        Expiration: '2030-01-01T00:00:00Z',
      }),
      `"${SECRET}"`,
      'null',
      `{"AccessKeyId":"A","SecretAccessKey":"${SECRET}","pad":"${'x'.repeat(IMDS_DEFAULTS.maxResponseBytes)}"}`,
    ];
    for (const body of bodies) {
      const s = standIn();
      s.set({ body });
      const { get, lines } = provider(s);
      const err = (await get().catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(/invalid response|over 65536/);
      expect(err.message).not.toContain(SECRET);
      expect(lines.join('')).not.toContain(SECRET);
    }
  });

  test('no usable role name: an error, and no request for another resource', async () => {
    for (const role of ['two\nroles', '..', '.', 'r?x=1', 'r#frag', 'r%2F..', 'r\u00e9', 'r'.repeat(65)]) {
      const s = standIn({ role });
      await expect(provider(s).get()).rejects.toThrow('no usable instance role');
      // Only the role listing was read: no GET of what the odd name would have made of the path.
      expect(s.stats.getsWithToken).toBe(1);
    }
    const longest = standIn({ role: `a+=,.@_-${'r'.repeat(56)}` });
    expect((await provider(longest).get()).accessKeyId).toBe('ASIAIMDSNODE');
  });

  test('static stability: after a success, an unreachable IMDS serves the last credentials for 5-10 more minutes', async () => {
    const s = standIn();
    const { get, lines } = provider(s, {}, 100);
    const first = await get();
    s.set({ down: true });
    const before = Date.now();
    const kept = await get();
    expect(kept.accessKeyId).toBe(first.accessKeyId);
    expect(kept.sessionToken).toBe(first.sessionToken);
    const ahead = kept.expiration!.getTime() - before;
    expect(ahead).toBeGreaterThanOrEqual(IMDS_DEFAULTS.extensionMs - 1_000);
    expect(ahead).toBeLessThanOrEqual(IMDS_DEFAULTS.extensionMs + IMDS_DEFAULTS.extensionJitterMs + 1_000);
    expect(lines.join('')).toContain('static stability');
    expect(lines.join('')).not.toContain(SECRET);
  });

  test('static stability: never-loaded credentials are not invented; expired ones from IMDS are extended', async () => {
    const s = standIn();
    s.set({ down: true });
    await expect(provider(s, {}, 100).get()).rejects.toThrow('timed out');
    s.set({ down: false, credentials: creds({ expiration: new Date(Date.now() - 60_000) }) });
    const extended = await provider(s).get();
    expect(extended.expiration!.getTime()).toBeGreaterThan(Date.now() + IMDS_DEFAULTS.extensionMs - 1_000);
  });

  test('connection refused is an error naming the service, not the address of a secret', async () => {
    const s = standIn();
    const url = s.url;
    await s.stop();
    servers.splice(servers.indexOf(s), 1);
    const get = createImdsCredentials({
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: url },
      clock: systemClock,
    });
    await expect(get()).rejects.toThrow('unable to connect to the instance metadata service');
  });
});

// A raw TCP server playing IMDS, for answers Bun.serve will not send: the token and the role name as usual,
// then the credentials request answered by `hostile` (the socket to write to as it likes).
async function rawImds(hostile: (socket: Socket) => void) {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (data) => {
      head += data.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const requestLine = head.slice(0, head.indexOf('\r\n'));
      head = '';
      const ok = (body: string) =>
        socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      if (requestLine.startsWith('PUT ')) ok('token');
      else if (requestLine.includes('/security-credentials/ ')) ok('eks-node-role');
      else hostile(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sockets,
    stop: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('hostile IMDS answers: a clear error within the deadline or the size bound, nothing secret said', () => {
  const drip = (socket: Socket, every: () => string) => {
    const timer = setInterval(() => {
      if (socket.destroyed) clearInterval(timer);
      else socket.write(every());
    }, 10);
    socket.on('close', () => clearInterval(timer));
  };
  const endless = (socket: Socket, chunk: Buffer) => {
    const pump = () => {
      while (!socket.destroyed && socket.write(chunk));
      if (!socket.destroyed) socket.once('drain', pump);
    };
    pump();
  };
  const cases: [string, (socket: Socket) => void, string][] = [
    [
      // The SDK's socket idle timeout never fires on this; ours is a deadline for the whole request.
      'a body dripping a byte at a time',
      (socket) => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 60000\r\n\r\n{');
        drip(socket, () => ' ');
      },
      'timed out',
    ],
    [
      'headers that never end',
      (socket) => {
        socket.write('HTTP/1.1 200 OK\r\n');
        drip(socket, () => 'x-pad: 1\r\n');
      },
      'timed out',
    ],
    [
      'an endless chunked body',
      (socket) => {
        socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
        endless(socket, Buffer.from(`4000\r\n${'a'.repeat(0x4000)}\r\n`));
      },
      'over 65536 bytes',
    ],
    [
      'an endless body until close',
      (socket) => {
        socket.write('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n');
        endless(socket, Buffer.alloc(0x4000, 97));
      },
      'over 65536 bytes',
    ],
    [
      'a redirect (not followed, as node:http does not)',
      (socket) =>
        socket.end(
          'HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:9/\r\ncontent-length: 0\r\n\r\n',
        ),
      'answered 307',
    ],
    [
      'a secret in the status line',
      (socket) => socket.end(`HTTP/1.1 500 ${SECRET}\r\ncontent-length: 0\r\n\r\n`),
      'answered 500',
    ],
    [
      'a nesting bomb',
      (socket) => {
        const body = '['.repeat(65_000);
        socket.end(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      },
      'not JSON',
    ],
  ];
  for (const [name, hostile, expected] of cases) {
    test(name, async () => {
      const imds = await rawImds(hostile);
      const { logger, lines } = capturingLogger();
      try {
        const get = createImdsCredentials({
          env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url },
          clock: systemClock,
          logger,
          timeoutMs: 200,
        });
        const err = (await get().catch((e: unknown) => e)) as Error;
        expect(err).toBeInstanceOf(Error);
        expect(err.message).toContain(expected);
        expect(err.message).not.toContain(SECRET);
        expect(lines.join('')).not.toContain(SECRET);
      } finally {
        await imds.stop();
      }
    });
  }

  test('non-UTF-8 in the credentials document: no crash, the bytes replaced', async () => {
    const imds = await rawImds((socket) => {
      const body = Buffer.concat([
        Buffer.from('{"AccessKeyId":"ASIA'),
        Buffer.from([0xff, 0xfe, 0xc3]),
        Buffer.from(`","SecretAccessKey":"${SECRET}","Token":"t","Expiration":"2030-01-01T00:00:00Z"}`),
      ]);
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
      socket.write(body);
    });
    try {
      const c = await createImdsCredentials({
        env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url },
        clock: systemClock,
      })();
      expect(c.accessKeyId).toBe('ASIA\ufffd\ufffd\ufffd');
    } finally {
      await imds.stop();
    }
  });
});

describe('the IMDS endpoint, as the SDK chooses it', () => {
  test('a path, query or user info in AWS_EC2_METADATA_SERVICE_ENDPOINT is ignored, as the SDK ignores it', async () => {
    const s = standIn();
    const endpoint = `${s.url.replace('http://', 'http://user:pw@')}/some/path/?q=1`;
    const ours = await createImdsCredentials({
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint },
      clock: systemClock,
    })();
    const sdk = await sdkAgainst(s, { AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint });
    expect(ours.accessKeyId).toBe('ASIAIMDSNODE');
    expect(sdk.accessKeyId).toBe(ours.accessKeyId);
    expect(s.stats.credentialGets).toBe(2);
  });

  test('an endpoint that is not an http: URL fails, as it does for the SDK (node:http)', async () => {
    const s = standIn();
    for (const endpoint of [s.url.replace('http:', 'https:'), '169.254.169.254']) {
      const env = { AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint };
      await expect(createImdsCredentials({ env, clock: systemClock })()).rejects.toThrow(
        'AWS_EC2_METADATA_SERVICE_ENDPOINT',
      );
      await expect(sdkAgainst(s, env)).rejects.toThrow();
    }
    expect(s.stats.tokenPuts).toBe(0);
  });

  test('explicit endpoint, IPv4 by default, IPv6 by mode, an unknown mode rejected', () => {
    expect(imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://10.0.0.1:8080/' })).toBe(
      'http://10.0.0.1:8080',
    );
    expect(imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://[fd00:ec2::254]:80/latest/' })).toBe(
      'http://[fd00:ec2::254]',
    );
    expect(imdsEndpoint({})).toBe('http://169.254.169.254');
    expect(imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' })).toBe('http://[fd00:ec2::254]');
    expect(() => imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'ipv6' })).toThrow(
      'Unsupported endpoint mode',
    );
  });
});

describe('when the agent speaks IMDS itself: exactly where the SDK chain would reach it', () => {
  const home = '/home/agent';
  const inputs = (env: Record<string, string>, files: string[] = []): ChainInputs => ({
    env,
    fileExists: (p) => files.includes(p),
    homedir: () => '/root',
  });
  test.each([
    ['an empty environment, no shared files', {}, [], true],
    ['only a key id (the env link cannot answer)', { AWS_ACCESS_KEY_ID: 'A' }, [], true],
    ['IMDS switched on explicitly', { AWS_EC2_METADATA_DISABLED: 'false' }, [], true],
    ['static keys', { AWS_ACCESS_KEY_ID: 'A', AWS_SECRET_ACCESS_KEY: 'S' }, [], false],
    [
      'AWS_PROFILE without shared files (fromIni and fromProcess find nothing)',
      { AWS_PROFILE: 'p' },
      [],
      true,
    ],
    [
      'AWS_PROFILE and static keys without shared files (fromEnv skipped)',
      { AWS_PROFILE: 'p', AWS_ACCESS_KEY_ID: 'A', AWS_SECRET_ACCESS_KEY: 'S' },
      [],
      true,
    ],
    ['AWS_PROFILE with a config file', { HOME: home, AWS_PROFILE: 'p' }, [`${home}/.aws/config`], false],
    ['a web identity token file', { AWS_WEB_IDENTITY_TOKEN_FILE: '/t', AWS_ROLE_ARN: 'arn' }, [], false],
    ['AWS_ROLE_ARN alone (fromTokenFile needs both)', { AWS_ROLE_ARN: 'arn' }, [], true],
    ['AWS_WEB_IDENTITY_TOKEN_FILE alone', { AWS_WEB_IDENTITY_TOKEN_FILE: '/t' }, [], true],
    ['a container credentials endpoint', { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/x' }, [], false],
    [
      'a container credentials full URI',
      { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1' },
      [],
      false,
    ],
    ['IMDS switched off', { AWS_EC2_METADATA_DISABLED: 'true' }, [], false],
    ['a shared credentials file under HOME', { HOME: home }, [`${home}/.aws/credentials`], false],
    ['a config file under HOME', { HOME: home }, [`${home}/.aws/config`], false],
    ['a config file in the OS home directory (HOME unset)', {}, ['/root/.aws/config'], false],
    [
      'AWS_SHARED_CREDENTIALS_FILE with ~',
      { HOME: home, AWS_SHARED_CREDENTIALS_FILE: '~/c' },
      [`${home}/c`],
      false,
    ],
    ['AWS_CONFIG_FILE', { AWS_CONFIG_FILE: '/etc/aws/config' }, ['/etc/aws/config'], false],
    // The SDK expands only a "~/" prefix: "~" alone is a file of that name in the working directory.
    ['AWS_CONFIG_FILE "~" is no home directory', { HOME: home, AWS_CONFIG_FILE: '~' }, [home], true],
    ['AWS_CONFIG_FILE "~" as the SDK reads it', { HOME: home, AWS_CONFIG_FILE: '~' }, ['~'], false],
    ['HOMEPATH without HOMEDRIVE', { HOMEPATH: 'u' }, ['C:/u/.aws/config'], false],
    ['files elsewhere than where the SDK looks', { HOME: home }, ['/root/.aws/config'], true],
  ] as const)('%s', (_name, env, files, expected) => {
    expect(chainReachesImds(inputs({ ...env }, [...files]))).toBe(expected);
  });

  // The oracle: the SDK's own default chain, in this process, with the stand-in as IMDS and a fresh home
  // directory per case; whether it answered from IMDS must be what chainReachesImds says. Nothing here reaches
  // the network (the web identity pair fails on its missing token file). The container variables are in the
  // table above only: the SDK's fromHttp retries a closed port for ~3 s.
  test('the same answer as the SDK chain itself, case by case', async () => {
    const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
    const s = standIn();
    const keys = '[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = file-secret\n';
    const cases: [string, Record<string, string>, Record<string, string>][] = [
      ['nothing', {}, {}],
      ['AWS_PROFILE', { AWS_PROFILE: 'p' }, {}],
      ['AWS_PROFILE and keys', { AWS_PROFILE: 'p', AWS_ACCESS_KEY_ID: 'A', AWS_SECRET_ACCESS_KEY: 'S' }, {}],
      ['AWS_ROLE_ARN alone', { AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/r' }, {}],
      ['AWS_WEB_IDENTITY_TOKEN_FILE alone', { AWS_WEB_IDENTITY_TOKEN_FILE: '/nonexistent/token' }, {}],
      [
        'web identity pair',
        {
          AWS_WEB_IDENTITY_TOKEN_FILE: '/nonexistent/token',
          AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/r',
        },
        {},
      ],
      ['credentials file', {}, { '.aws/credentials': keys }],
      ['config file under ~/', { AWS_CONFIG_FILE: '~/elsewhere' }, { elsewhere: keys }],
      ['IMDS switched off', { AWS_EC2_METADATA_DISABLED: 'true' }, {}],
    ];
    const saved = { ...process.env };
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const results: string[] = [];
    try {
      for (const [name, env, files] of cases) {
        const caseHome = mkdtempSync(join(emptyHome, 'case-'));
        for (const [path, content] of Object.entries(files)) {
          mkdirSync(dirname(join(caseHome, path)), { recursive: true });
          writeFileSync(join(caseHome, path), content);
        }
        for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
        Object.assign(process.env, { HOME: caseHome, AWS_EC2_METADATA_SERVICE_ENDPOINT: s.url, ...env });
        const before = s.stats.credentialGets;
        const answer = await defaultProvider({ logger: quiet as never })().then(
          (c) => c.accessKeyId,
          () => 'error',
        );
        const sdkAskedImds = s.stats.credentialGets > before && answer === 'ASIAIMDSNODE';
        const ours = chainReachesImds({ env: process.env, fileExists: existsSync, homedir });
        results.push(`${name}: ${ours === sdkAskedImds ? 'same' : `ours ${ours}, SDK ${sdkAskedImds}`}`);
      }
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
    expect(results).toEqual(cases.map(([name]) => `${name}: same`));
  });

  function countingChain() {
    let loads = 0;
    return {
      load: async () => {
        loads++;
        return async () => ({ accessKeyId: 'AKIACHAIN', secretAccessKey: 'chain' });
      },
      get loads() {
        return loads;
      },
    };
  }

  test('createNodeCredentials: an EC2-like environment gets IMDS credentials without loading the SDK chain', async () => {
    const s = standIn();
    const chain = countingChain();
    const { logger, lines } = capturingLogger();
    const get = createNodeCredentials({
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: s.url },
      fileExists: () => false,
      loadChain: chain.load,
      logger,
    });
    const c = await get();
    expect(c.accessKeyId).toBe('ASIAIMDSNODE');
    expect(c.sessionToken).toBe('imds-session-token');
    expect(chain.loads).toBe(0);
    // Said once, so an operator sees where the node's credentials come from; nothing secret in it.
    await get();
    expect(lines.filter((l) => l.includes('"source":"imds"'))).toHaveLength(1);
    expect(lines.join('')).not.toContain('imds-session-token');
    expect(lines.join('')).not.toContain(SECRET);
  });

  test('createNodeCredentials: with a shared file present the SDK chain answers, IMDS is not asked', async () => {
    const s = standIn();
    const chain = countingChain();
    const { logger, lines } = capturingLogger();
    const get = createNodeCredentials({
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: s.url },
      fileExists: () => true,
      loadChain: chain.load,
      logger,
    });
    expect((await get()).accessKeyId).toBe('AKIACHAIN');
    expect(chain.loads).toBe(1);
    expect(s.stats.tokenPuts).toBe(0);
    expect(lines.join('')).toContain('"source":"sdk-chain"');
  });

  test('credentials that are already due are reloaded at most every retry interval, not on every call', async () => {
    const clock = createManualClock();
    let loads = 0;
    const get = createNodeCredentials({
      credentials: async () => {
        loads++;
        return { accessKeyId: `K${loads}`, secretAccessKey: 's', expiration: new Date(clock.now() + 60_000) };
      },
      clock,
      refreshBeforeExpiryMs: 5 * 60_000,
      retryAfterFailureMs: 5_000,
    });
    expect((await get()).accessKeyId).toBe('K1');
    clock.advance(4_000);
    expect((await get()).accessKeyId).toBe('K1');
    expect(loads).toBe(1);
    clock.advance(1_000);
    // The reload runs in the background (K1 is still valid); the call after it settles has K2.
    expect((await get()).accessKeyId).toBe('K1');
    expect(loads).toBe(2);
    expect((await get()).accessKeyId).toBe('K2');
  });

  test('IMDS failing before any success is asked once per retry interval, not on every EKS Auth call', async () => {
    const s = standIn();
    s.set({ body: 'not json' });
    const clock = createManualClock();
    const get = createNodeCredentials({
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: s.url },
      fileExists: () => false,
      loadChain: countingChain().load,
      clock,
      retryAfterFailureMs: 5_000,
    });
    for (let i = 0; i < 20; i++) {
      await expect(get()).rejects.toThrow('invalid response');
      clock.advance(200);
    }
    expect(s.stats.tokenPuts).toBe(1);
    clock.advance(1_000);
    s.set({ body: undefined });
    expect((await get()).accessKeyId).toBe('ASIAIMDSNODE');
    expect(s.stats.tokenPuts).toBe(2);
  });

  test('IMDS hanging when the refresh is due: EKS Auth calls keep the valid credentials meanwhile', async () => {
    const s = standIn({ credentials: creds({ expiration: new Date(Date.now() + 30 * 60_000) }) });
    const clock = createManualClock(Date.now());
    const get = createNodeCredentials({
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: s.url },
      fileExists: () => false,
      loadChain: countingChain().load,
      clock,
    });
    const first = await get();
    s.set({ down: true });
    clock.advance(26 * 60_000);
    const notYet = Symbol('still waiting');
    const answer = await Promise.race([get(), new Promise((r) => setTimeout(() => r(notYet), 0))]);
    // Without the background reload this call waits for IMDS (1 s per request, two requests).
    expect(answer).toBe(first);
  });
});
