// The signature pool's own behaviour: dispatch, the bounded queue and its metric, crashed workers, close,
// and never keeping the process alive. Real worker threads: the real verify worker where answers matter,
// a scripted fake worker (fixtures/scripted-worker.ts) where a worker must hold, crash or say who it is.
import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BroadcastChannel } from 'node:worker_threads';
import { AgentError } from '../../src/errors.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import {
  createSignaturePool,
  type SignaturePool,
  type SignaturePoolOptions,
  verifyWorkerUrl,
} from '../../src/token/signature-pool.ts';
import type { PublicJwk, SignatureTask } from '../../src/token/verify-signature.ts';
import { HOLD_CHANNEL } from './fixtures/scripted-worker.ts';

const SCRIPTED = new URL('./fixtures/scripted-worker.ts', import.meta.url);

const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingInput = 'eyJhbGciOiJSUzI1NiJ9.e30';
const genuine: SignatureTask = {
  alg: 'RS256',
  keyId: 'pool-test',
  jwk: pair.publicKey.export({ format: 'jwk' }) as unknown as PublicJwk,
  signingInput,
  signature: sign('sha256', Buffer.from(signingInput), pair.privateKey).toString('base64url'),
};
const act = (name: string): SignatureTask => ({ ...genuine, signingInput: name });

// The test's end of the hold channel: counts 'held' announcements so a release never overtakes a hold.
const channel = new BroadcastChannel(HOLD_CHANNEL);
let heldCount = 0;
let onHeld: (() => void) | undefined;
const started: string[] = [];
let onStarted: (() => void) | undefined;
channel.onmessage = (event: { data: unknown }) => {
  if (typeof event.data === 'string' && event.data.startsWith('started:')) {
    started.push(`thread-${event.data.slice('started:'.length)}`);
    onStarted?.();
    return;
  }
  if (event.data !== 'held') return;
  heldCount++;
  onHeld?.();
};
async function untilHeld(count: number): Promise<void> {
  while (heldCount < count) await new Promise<void>((resolve) => (onHeld = resolve));
}
async function untilStarted(count: number): Promise<void> {
  while (started.length < count) await new Promise<void>((resolve) => (onStarted = resolve));
}
function release(): void {
  heldCount = 0;
  channel.postMessage('release');
}

const pools: SignaturePool[] = [];
function pool(options: Partial<SignaturePoolOptions> = {}): SignaturePool {
  const created = createSignaturePool({ workers: 1, maxQueue: 8, ...options });
  pools.push(created);
  return created;
}
afterEach(async () => {
  release();
  await Promise.all(pools.splice(0).map((p) => p.close()));
});
afterAll(() => channel.close());

async function rejectionOf(value: unknown): Promise<AgentError> {
  try {
    await value;
  } catch (err) {
    expect(err).toBeInstanceOf(AgentError);
    return err as AgentError;
  }
  throw new Error('expected the check to fail');
}

const depthOf = async (metrics: ReturnType<typeof createMetrics>) =>
  (await metrics.verifyQueueDepth.get()).values[0]?.value;

describe('signature pool', () => {
  test('workers = 0 answers inline, synchronously, with the real check', () => {
    const inline = pool({ workers: 0 });
    expect(inline.mode).toBe('inline');
    expect(inline.run(genuine)).toBe('valid');
    expect(inline.run({ ...genuine, signingInput: `${signingInput}x` })).toBe('invalid-signature');
  });

  test('the real worker verifies: valid, forged, unusable key', async () => {
    const p = pool({ workers: 2 });
    expect(p.mode).toBe('workers');
    const forged = { ...genuine, signingInput: `${signingInput}x` };
    const weak = { ...genuine, alg: 'ES256' };
    expect(await Promise.all([p.run(genuine), p.run(forged), p.run(weak)])).toEqual([
      'valid',
      'invalid-signature',
      'unusable-key',
    ]);
  });

  test('a task the worker cannot check fails alone with a retryable error', async () => {
    const p = pool();
    const err = await rejectionOf(p.run(null as unknown as SignatureTask));
    expect(err.code).toBe('InternalError');
    expect(err.retryable).toBe(true);
    expect(await p.run(genuine)).toBe('valid');
  });

  test('a task that cannot be sent to a worker fails alone', async () => {
    const metrics = createMetrics();
    const p = pool({ metrics });
    // A key that cannot be encoded for the worker (JSON has no BigInt).
    const err = await rejectionOf(p.run({ ...genuine, jwk: { kty: 'RSA', n: 1n as never } }));
    expect(err.code).toBe('InternalError');
    expect(await depthOf(metrics)).toBe(0);
    expect(await p.run(genuine)).toBe('valid');
  });

  test('tasks sent together are spread over every worker', async () => {
    const p = pool({ workers: 3, workerUrl: SCRIPTED });
    const threads = await Promise.all(Array.from({ length: 6 }, () => p.run(act('whoami'))));
    expect(new Set(threads).size).toBe(3);
  });

  test('least busy: while one worker holds a task, the others take the new ones', async () => {
    const p = pool({ workers: 2, workerUrl: SCRIPTED });
    const held = p.run(act('hold'));
    await untilHeld(1);
    const free = [await p.run(act('whoami')), await p.run(act('whoami')), await p.run(act('whoami'))];
    expect(new Set(free).size).toBe(1);
    release();
    expect(await held).toBe('valid');
  });
});

describe('warm', () => {
  test('warm() starts one worker before any check, and the first check runs on it; the rest start with it', async () => {
    started.length = 0;
    const p = pool({ workers: 2, workerUrl: SCRIPTED });
    p.warm();
    p.warm();
    await untilStarted(1);
    const warmed = started[0];
    expect(await p.run(act('whoami'))).toBe(warmed as never);
    await untilStarted(2);
    const threads = new Set(await Promise.all(Array.from({ length: 6 }, () => p.run(act('whoami')))));
    expect([...threads].map(String).sort()).toEqual([...new Set(started)].sort());
    expect(new Set(started).size).toBe(2);
  });
});

describe('bounded queue', () => {
  test('workers + maxQueue checks are accepted, the next is Overloaded at once; the metric follows', async () => {
    const metrics = createMetrics();
    const p = pool({ workers: 2, maxQueue: 2, metrics, workerUrl: SCRIPTED });
    const accepted = Array.from({ length: 4 }, () => p.run(act('hold')));
    await untilHeld(4);
    // Two run, two wait.
    expect(await depthOf(metrics)).toBe(2);
    const over = await rejectionOf(p.run(genuine));
    expect(over.code).toBe('Overloaded');
    expect(over.retryable).toBe(true);
    release();
    expect(await Promise.all(accepted)).toEqual(['valid', 'valid', 'valid', 'valid']);
    expect(await depthOf(metrics)).toBe(0);
    expect(await p.run(genuine)).toBe('valid');
  });
});

describe('crashed workers', () => {
  test.each(['exit', 'throw'])(
    'on %s: the worker’s tasks fail retryably, a replacement serves the next ones',
    async (how) => {
      const metrics = createMetrics();
      const p = pool({ workers: 1, metrics, workerUrl: SCRIPTED });
      const before = await p.run(act('whoami'));
      const queued = p.run(act('hold'));
      await untilHeld(1);
      const crash = await rejectionOf(p.run(act(how)));
      expect(crash.code).toBe('InternalError');
      expect(crash.retryable).toBe(true);
      // Held on the same worker: it fails too, instead of hanging.
      expect((await rejectionOf(queued)).code).toBe('InternalError');
      expect(await depthOf(metrics)).toBe(0);
      const after = await p.run(act('whoami'));
      expect(after).toMatch(/^thread-\d+$/);
      expect(after).not.toBe(before);
    },
  );

  test('a worker that cannot start fails each check, and close still finishes', async () => {
    const p = pool({ workers: 2, workerUrl: new URL('./fixtures/no-such-worker.ts', import.meta.url) });
    for (let i = 0; i < 3; i++) expect((await rejectionOf(p.run(genuine))).code).toBe('InternalError');
    await p.close();
  });
});

describe('close', () => {
  test('pending checks fail with ShuttingDown, later ones too; closing twice is fine', async () => {
    const metrics = createMetrics();
    const p = pool({ workers: 1, metrics, workerUrl: SCRIPTED });
    const pending = [p.run(act('hold')), p.run(act('hold'))].map(rejectionOf);
    await untilHeld(2);
    await p.close();
    for (const err of await Promise.all(pending)) expect(err.code).toBe('ShuttingDown');
    expect(await depthOf(metrics)).toBe(0);
    expect((await rejectionOf(p.run(genuine))).code).toBe('ShuttingDown');
    await p.close();
  });

  test('a process that never closes its pool still exits when its checks are done', () => {
    // Run from source (the compiled twin is compiled-executable.test.ts); a kill by the timeout would
    // leave exitCode null.
    const entry = new URL('./fixtures/compiled-entry.ts', import.meta.url).pathname;
    const run = Bun.spawnSync([process.execPath, entry], { stderr: 'pipe', stdout: 'pipe', timeout: 20_000 });
    expect(run.exitCode, run.stderr.toString()).toBe(0);
    expect(JSON.parse(run.stdout.toString())).toMatchObject({ mode: 'workers', depth: 0 });
  });
});

describe('verifyWorkerUrl', () => {
  test('from source: the worker file beside the pool', () => {
    expect(verifyWorkerUrl().pathname).toEndWith('/src/token/verify-worker.ts');
  });

  test('in an executable without the embedded worker: a clear error naming the build script', () => {
    expect(() => verifyWorkerUrl('file:///$bunfs/root/agent')).toThrow(/build-executable\.sh/);
  });
});

describe('starved event loop', () => {
  // While a backlog of ready sockets lasts, Bun delivers no worker answer (loop-starvation.ts): a storm's
  // checks would all wait for the backlog to end. The probe is the test's: it says when the loop is starved.
  test('with checks pending and the loop starved, a check runs inline at once (a real check); else it queues', async () => {
    let starved = false;
    const asked: string[] = [];
    const p = pool({
      workerUrl: SCRIPTED,
      probe: {
        starved: () => {
          asked.push(starved ? 'starved' : 'turning');
          return starved;
        },
      },
    });
    const held = p.run(act('hold'));
    expect(asked).toEqual([]); // an idle pool sends its first check to a worker without asking
    await untilHeld(1);
    const queued = p.run(genuine);
    expect(queued).toBeInstanceOf(Promise);
    starved = true;
    expect(p.run(genuine)).toBe('valid');
    // Inline is the real check: the scripted worker would have said 'valid' to this one too.
    expect(p.run(act('tampered'))).toBe('invalid-signature');
    release();
    expect(await held).toBe('valid');
    expect(await queued).toBe('valid');
  });
});

describe('what a worker loads', () => {
  // Bun's node:worker_threads Worker costs a signature-mode agent ~2 MB more with one idle worker than a Web
  // Worker (README, footprint): neither the pool nor anything the worker script loads may bring it back.
  const transpiler = new Bun.Transpiler({ loader: 'ts' });
  const importsOf = (file: URL) => transpiler.scanImports(readFileSync(file, 'utf8')).map((i) => i.path);
  const modulesOfWorker = (): string[] => {
    const seen = new Set<string>();
    const found: string[] = [];
    const visit = (file: URL) => {
      if (seen.has(file.href)) return;
      seen.add(file.href);
      for (const path of importsOf(file)) {
        if (path.startsWith('.')) visit(new URL(path, file));
        else found.push(path);
      }
    };
    visit(verifyWorkerUrl());
    return found;
  };

  test('the worker script and its imports: no node:worker_threads (nor any module but node:crypto)', () => {
    const modules = modulesOfWorker();
    expect(modules).not.toContain('node:worker_threads');
    expect(modules.every((m) => m === 'node:crypto')).toBe(true);
  });

  test('the pool starts Web Workers: no node:worker_threads import or require', () => {
    const pool = new URL('../../src/token/signature-pool.ts', import.meta.url);
    expect(importsOf(pool)).not.toContain('node:worker_threads');
    expect(importsOf(pool).length).toBeGreaterThan(0);
  });
});
