// --startup-taint's remover against the Kubernetes API-server stand-in over real HTTPS: which taint goes, what
// stays, and how each API-server answer (401, 403, 404, 409, 429, 5xx, a real conflict, a bad CA) is handled.
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestCertificateAuthority } from '../../src/emulator/kube-api/certificates.ts';
import type { NodeFaultStatus, NodeTaint } from '../../src/emulator/kube-api/nodes-routes.ts';
import { createKubeApiClient } from '../../src/kube/api-client.ts';
import type { TaintSelector } from '../../src/kube/node-taints.ts';
import { createStartupTaintRemover, type StartupTaintOptions } from '../../src/kube/startup-taint.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { startKubeApiFixture } from '../helpers/kube-api.ts';

const NODE = 'ip-10-0-1-23.us-west-2.compute.internal';
const KEY = 'pod-identity-agent/not-ready';
const OURS: NodeTaint = { key: KEY, value: 'true', effect: 'NoSchedule' };
const OTHERS: NodeTaint[] = [
  { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: '2026-12-01T08:00:00Z' },
  { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
];
const SA = 'system:serviceaccount:kube-system:eks-pod-identity-agent';

const fixture = await startKubeApiFixture('startup-taint-');
const { kube, endpoint, dir } = fixture;
afterAll(() => fixture.stop());
const nodes = kube.nodes;

function taintsOf(name = NODE): NodeTaint[] | undefined {
  return (nodes.store.get(name)!['spec'] as { taints?: NodeTaint[] }).taints;
}

interface Run {
  lines: Record<string, unknown>[];
  sleeps: number[];
  metrics: ReturnType<typeof createMetrics>;
  remover: ReturnType<typeof createStartupTaintRemover>;
}

function remover(overrides: Partial<StartupTaintOptions> = {}, taint: TaintSelector = { key: KEY }): Run {
  const lines: Record<string, unknown>[] = [];
  const sleeps: number[] = [];
  const metrics = createMetrics();
  const r = createStartupTaintRemover({
    client: createKubeApiClient({ endpoint }),
    nodeName: NODE,
    taint,
    selfCheck: async () => true,
    logger: createLogger('info', { write: (s: string) => void lines.push(JSON.parse(s)) }),
    metrics,
    random: () => 0.5,
    sleep: async (ms) => void sleeps.push(ms),
    maxAttempts: 5,
    ...overrides,
  });
  return { lines, sleeps, metrics, remover: r };
}

const requests = () => nodes.requests().map((r) => `${r.method} ${r.status}`);
let before = 0;
const newRequests = () => requests().slice(before);

beforeEach(() => {
  nodes.store.add(NODE, [OTHERS[0]!, OURS, OTHERS[1]!]);
  nodes.setFaults([]);
  nodes.setHook(undefined);
  before = nodes.requests().length;
});

describe('what is removed', () => {
  test('only that taint: the others stay, in order, with every member', async () => {
    const run = remover();
    const status = await run.remover.start();
    expect(status).toMatchObject({ node: NODE, taint: KEY, state: 'removed', attempts: 1 });
    expect(taintsOf()).toEqual(OTHERS);
    expect(newRequests()).toEqual(['GET 200', 'PATCH 200']);
    const patch = nodes.requests().at(-1)!;
    expect(patch.contentType).toBe('application/merge-patch+json');
    expect(patch.user).toBe(SA);
    // The precondition is sent: the resourceVersion read by the GET.
    expect(JSON.parse(patch.body!).metadata.resourceVersion).toMatch(/^\d+$/);
    const scrape = await run.metrics.registry.metrics();
    expect(scrape).toContain('pod_identity_startup_taint{state="removed"} 1');
    expect(scrape).toContain('pod_identity_startup_taint{state="removing"} 0');
    expect(run.lines.find((l) => l['msg'] === 'startup taint removed: the node accepts pods')).toMatchObject({
      node: NODE,
      taint: KEY,
    });
  });

  test('KEY:EFFECT removes only that effect; the same key with another effect stays', async () => {
    const noExecute = { key: KEY, effect: 'NoExecute' };
    nodes.store.add(NODE, [OURS, noExecute]);
    await remover({}, { key: KEY, effect: 'NoSchedule' }).remover.start();
    expect(taintsOf()).toEqual([noExecute]);
  });

  test('KEY alone removes every effect of that key (kubectl taint KEY-)', async () => {
    nodes.store.add(NODE, [OURS, { key: KEY, effect: 'NoExecute' }, OTHERS[1]!]);
    await remover().remover.start();
    expect(taintsOf()).toEqual([OTHERS[1]!]);
  });

  test('the last taint gone leaves no taint list', async () => {
    nodes.store.add(NODE, [OURS]);
    await remover().remover.start();
    expect(taintsOf()).toBeUndefined();
  });

  test('a node without the taint is left alone: no patch, state absent', async () => {
    nodes.store.add(NODE, OTHERS);
    const status = await remover().remover.start();
    expect(status.state).toBe('absent');
    expect(newRequests()).toEqual(['GET 200']);
    expect(taintsOf()).toEqual(OTHERS);
  });

  test('once per start: a second start() does not patch again', async () => {
    const run = remover();
    await run.remover.start();
    nodes.store.add(NODE, [OURS]);
    await run.remover.start();
    expect(taintsOf()).toEqual([OURS]);
    expect(newRequests()).toEqual(['GET 200', 'PATCH 200']);
  });
});

describe('the self-check gates the removal', () => {
  test('no API call until the self-check passes', async () => {
    let checks = 0;
    const seenAtCheck: number[] = [];
    const run = remover({
      selfCheck: async () => {
        seenAtCheck.push(nodes.requests().length - before);
        checks += 1;
        return checks >= 3;
      },
      selfCheckIntervalMs: 250,
    });
    const status = await run.remover.start();
    expect(seenAtCheck).toEqual([0, 0, 0]);
    expect(run.sleeps).toEqual([250, 250]);
    expect(status.state).toBe('removed');
  });

  test('stopped while the self-check fails: the taint stays, nothing is called', async () => {
    let stop = () => {};
    const run = remover({
      selfCheck: async () => {
        stop();
        return false;
      },
    });
    stop = () => run.remover.stop();
    const status = await run.remover.start();
    expect(status.state).toBe('waiting');
    expect(newRequests()).toEqual([]);
    expect(taintsOf()).toContainEqual(OURS);
  });
});

describe('API-server errors', () => {
  test.each<[NodeFaultStatus, 'GET' | 'PATCH', string[]]>([
    [401, 'GET', ['GET 401', 'GET 200', 'PATCH 200']],
    [500, 'GET', ['GET 500', 'GET 200', 'PATCH 200']],
    [503, 'PATCH', ['GET 200', 'PATCH 503', 'GET 200', 'PATCH 200']],
    [504, 'PATCH', ['GET 200', 'PATCH 504', 'GET 200', 'PATCH 200']],
  ])('%d on %s: retried after a backoff, then removed', async (status, method, seen) => {
    nodes.setFaults([{ status, method }]);
    const run = remover();
    expect((await run.remover.start()).state).toBe('removed');
    expect(newRequests()).toEqual(seen);
    // Full jitter with random 0.5: half of the first ceiling (500 ms).
    expect(run.sleeps).toEqual([250]);
    const warn = run.lines.find((l) => l['msg'] === 'startup taint removal failed; retrying');
    expect(warn).toMatchObject({ status, retryInMs: 250, attempts: 1 });
    expect(taintsOf()).toEqual(OTHERS);
  });

  test('429: waits the Retry-After the server gave, not its own backoff', async () => {
    nodes.setFaults([{ status: 429, method: 'PATCH', retryAfterSeconds: 3 }]);
    const run = remover();
    expect((await run.remover.start()).state).toBe('removed');
    expect(run.sleeps).toEqual([3000]);
    expect(newRequests()).toEqual(['GET 200', 'PATCH 429', 'GET 200', 'PATCH 200']);
  });

  test('409 on the patch: re-reads the node at once and patches again', async () => {
    nodes.setFaults([{ status: 409, method: 'PATCH' }]);
    const run = remover();
    expect((await run.remover.start()).state).toBe('removed');
    expect(run.sleeps).toEqual([]);
    expect(newRequests()).toEqual(['GET 200', 'PATCH 409', 'GET 200', 'PATCH 200']);
  });

  test('a real conflict: a taint another writer adds between our read and our patch survives', async () => {
    const added: NodeTaint = { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' };
    let writes = 0;
    nodes.setHook((method) => {
      if (method !== 'PATCH') return;
      writes += 1;
      if (writes === 1)
        nodes.store.update(
          NODE,
          (n) => void (n['spec'] as unknown as { taints: NodeTaint[] }).taints.push(added),
        );
    });
    const run = remover();
    const status = await run.remover.start();
    expect(status).toMatchObject({ state: 'removed', attempts: 2 });
    expect(status.lastError).toMatchObject({ status: 409, reason: 'Conflict' });
    expect(newRequests()).toEqual(['GET 200', 'PATCH 409', 'GET 200', 'PATCH 200']);
    expect(taintsOf()).toEqual([...OTHERS, added]);
  });

  test.each<[NodeFaultStatus, string, RegExp]>([
    [403, 'Forbidden', /grant get and patch on nodes/],
    [404, 'NotFound', /NODE_NAME/],
  ])('%d: gives up at once with a clear log; the taint stays', async (status, reason, hint) => {
    nodes.setFaults([{ status, method: 'GET' }]);
    const run = remover();
    const result = await run.remover.start();
    expect(result).toMatchObject({ state: 'failed', attempts: 1, lastError: { status, reason } });
    expect(newRequests()).toEqual([`GET ${status}`]);
    expect(run.sleeps).toEqual([]);
    const error = run.lines.find((l) => l['level'] === 'error')!;
    expect(error['msg']).toBe('startup taint not removed: the API server refused');
    expect(String(error['hint'])).toMatch(hint);
    expect(taintsOf()).toContainEqual(OURS);
    expect(await run.metrics.registry.metrics()).toContain('pod_identity_startup_taint{state="failed"} 1');
  });

  test('403 on the patch (RBAC grants get only): the message names the user and the verb', async () => {
    nodes.setFaults([{ status: 403, method: 'PATCH' }]);
    const result = await remover().remover.start();
    expect(result.state).toBe('failed');
    expect(newRequests()).toEqual(['GET 200', 'PATCH 403']);
    expect(result.lastError!.message).toBe(
      `nodes "${NODE}" is forbidden: User "${SA}" cannot patch resource "nodes" in API group "" at the cluster scope`,
    );
  });

  test('a failure that persists: gives up after maxAttempts with backoff growing', async () => {
    nodes.setFaults([{ status: 503, times: 100 }]);
    const run = remover({ maxAttempts: 4, random: () => 0.999 });
    const result = await run.remover.start();
    expect(result).toMatchObject({ state: 'failed', attempts: 4, lastError: { status: 503 } });
    expect(run.sleeps).toEqual([499, 999, 1998]);
    expect(run.lines.at(-1)!['msg']).toBe('startup taint not removed: giving up after repeated failures');
    expect(taintsOf()).toContainEqual(OURS);
  });

  test('by default transient failures never exhaust the retries: 40 in a row, then removed', async () => {
    nodes.setFaults([{ status: 503, method: 'GET', times: 40 }]);
    const run = remover({ maxAttempts: undefined, random: () => 0.999 });
    const result = await run.remover.start();
    expect(result).toMatchObject({ state: 'removed', attempts: 41 });
    expect(run.sleeps).toHaveLength(40);
    // Full jitter under a ceiling that doubles from 500 ms and stops at 30 s.
    expect(Math.max(...run.sleeps)).toBe(29_970);
  });

  test('the token is re-read on every call: a rotated token file is used on the retry', async () => {
    const tokenFile = join(dir, 'rotating-token');
    writeFileSync(tokenFile, 'not-a-valid-token');
    const fresh = kube.issueBearerToken('kube-system', 'eks-pod-identity-agent');
    const run = remover({
      client: createKubeApiClient({ endpoint: { ...endpoint, tokenFile } }),
      sleep: async (ms) => {
        run.sleeps.push(ms);
        writeFileSync(tokenFile, fresh);
      },
    });
    const result = await run.remover.start();
    expect(result.state).toBe('removed');
    // The 401 comes from the server's authenticator, before the nodes route: only the retry reaches it.
    expect(newRequests()).toEqual(['GET 200', 'PATCH 200']);
    expect(run.lines[0]).toMatchObject({ status: 401, reason: 'Unauthorized' });
    expect(JSON.stringify(run.lines)).not.toContain(fresh);
  });

  test('a server whose certificate the cluster CA did not sign is never trusted', async () => {
    const caFile = join(dir, 'other-ca.crt');
    writeFileSync(caFile, createTestCertificateAuthority().certPem);
    const run = remover({
      client: createKubeApiClient({ endpoint: { ...endpoint, caFile } }),
      maxAttempts: 2,
    });
    const result = await run.remover.start();
    expect(result).toMatchObject({ state: 'failed', lastError: { status: 0, reason: 'unreachable' } });
    expect(newRequests()).toEqual([]);
  });

  test('no token mounted: gives up at once and says what to mount', async () => {
    const tokenFile = join(dir, 'absent');
    const run = remover({ client: createKubeApiClient({ endpoint: { ...endpoint, tokenFile } }) });
    const result = await run.remover.start();
    expect(result).toMatchObject({ state: 'failed', attempts: 1, lastError: { reason: 'credentials' } });
    expect(String(run.lines.at(-1)!['hint'])).toMatch(/automountServiceAccountToken/);
  });
});
