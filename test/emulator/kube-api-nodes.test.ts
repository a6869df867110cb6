// The API-server stand-in's nodes route, over HTTPS: Node and Status shapes, authentication, the resourceVersion
// rule for both patch formats, validation, and faults answering with the API server's headers and bodies.
// biome-ignore-all lint/suspicious/noExplicitAny: JSON bodies are read loosely here
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { startEmulator } from '../../src/emulator/index.ts';
import { applyJsonPatch, mergePatch } from '../../src/emulator/kube-api/patch.ts';

const emu = await startEmulator({ kubeApi: true });
const kube = emu.kubeApi!;
const nodes = kube.nodes;
afterAll(() => emu.stop());
const token = kube.issueBearerToken('kube-system', 'agent');
const NODE = 'ip-10-0-0-5.ec2.internal';
const path = `/api/v1/nodes/${NODE}`;

async function call(
  method: string,
  body?: unknown,
  contentType = 'application/merge-patch+json',
  auth = token,
) {
  const res = await fetch(`${kube.url}${path}`, {
    method,
    headers: {
      ...(auth ? { authorization: `Bearer ${auth}` } : {}),
      ...(body !== undefined ? { 'content-type': contentType } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    tls: { ca: kube.caPem },
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, any> };
}

beforeEach(() => {
  nodes.store.add(NODE, [{ key: 'a', effect: 'NoSchedule' }]);
  nodes.setFaults([]);
});

describe('GET', () => {
  test('a Node object with metadata, spec and status', async () => {
    const { status, json } = await call('GET');
    expect(status).toBe(200);
    expect(json).toMatchObject({
      kind: 'Node',
      apiVersion: 'v1',
      metadata: { name: NODE },
      spec: { taints: [{ key: 'a' }] },
    });
    expect(json['metadata'].resourceVersion).toMatch(/^\d+$/);
    expect(json['metadata'].uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('an unknown token: 401 Status Unauthorized, before any node route runs', async () => {
    const before = nodes.requests().length;
    const { status, json } = await call('GET', undefined, undefined, 'not-a-token');
    expect(status).toBe(401);
    expect(json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
    expect(nodes.requests().length).toBe(before);
  });

  test('DELETE on a node: 405 (GET and PATCH share the path)', async () => {
    expect((await call('DELETE')).status).toBe(405);
  });

  test('an unknown node: 404 NotFound with details', async () => {
    const res = await fetch(`${kube.url}/api/v1/nodes/nope`, {
      headers: { authorization: `Bearer ${token}` },
      tls: { ca: kube.caPem },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      reason: 'NotFound',
      message: 'nodes "nope" not found',
      details: { name: 'nope', kind: 'nodes' },
      code: 404,
    });
  });
});

describe('PATCH and the resourceVersion rule', () => {
  test('merge patch with the current resourceVersion: applied, new resourceVersion', async () => {
    const rv = (await call('GET')).json['metadata'].resourceVersion;
    const { status, json } = await call('PATCH', {
      metadata: { resourceVersion: rv },
      spec: { taints: null },
    });
    expect(status).toBe(200);
    expect(json['spec']).not.toHaveProperty('taints');
    expect(json['metadata'].resourceVersion).not.toBe(rv);
  });

  test('merge patch with a stale resourceVersion: 409 Conflict, nothing changed', async () => {
    const rv = (await call('GET')).json['metadata'].resourceVersion;
    nodes.store.update(NODE, (n) => {
      (n.metadata['labels'] as Record<string, string>)['x'] = 'y';
    });
    const { status, json } = await call('PATCH', {
      metadata: { resourceVersion: rv },
      spec: { taints: null },
    });
    expect(status).toBe(409);
    expect(json).toMatchObject({
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on nodes "${NODE}": the object has been modified; please apply your changes to the latest version and try again`,
      details: { name: NODE, kind: 'nodes' },
    });
    expect((await call('GET')).json['spec'].taints).toEqual([{ key: 'a', effect: 'NoSchedule' }]);
  });

  test('merge patch without a resourceVersion: applied to whatever is current (no precondition)', async () => {
    nodes.store.update(NODE, () => {});
    expect((await call('PATCH', { spec: { unschedulable: true } })).status).toBe(200);
  });

  test('JSON patch whose test on resourceVersion fails: 422, nothing changed', async () => {
    const { status, json } = await call(
      'PATCH',
      [
        { op: 'test', path: '/metadata/resourceVersion', value: '1' },
        { op: 'remove', path: '/spec/taints/0' },
      ],
      'application/json-patch+json',
    );
    expect(status).toBe(422);
    expect(json['message']).toBe('testing value /metadata/resourceVersion failed: test failed');
    expect((await call('GET')).json['spec'].taints).toHaveLength(1);
  });

  test('JSON patch whose test passes: applied', async () => {
    const rv = (await call('GET')).json['metadata'].resourceVersion;
    const { status, json } = await call(
      'PATCH',
      [
        { op: 'test', path: '/metadata/resourceVersion', value: rv },
        { op: 'remove', path: '/spec/taints/0' },
      ],
      'application/json-patch+json',
    );
    expect(status).toBe(200);
    expect(json['spec'].taints).toEqual([]);
  });

  test('a patch that changes nothing keeps the resourceVersion', async () => {
    const rv = (await call('GET')).json['metadata'].resourceVersion;
    const { json } = await call('PATCH', { metadata: { resourceVersion: rv } });
    expect(json['metadata'].resourceVersion).toBe(rv);
  });

  test.each([
    [{ spec: { taints: [{ key: 'b', effect: 'Sometimes' }] } }, 422, 'Invalid'],
    [{ spec: { taints: [{ effect: 'NoSchedule' }] } }, 422, 'Invalid'],
    [{ metadata: { name: 'other' } }, 400, 'BadRequest'],
  ])('%j is refused (%d %s)', async (patch, code, reason) => {
    const { status, json } = await call('PATCH', patch);
    expect(status).toBe(code);
    expect(json['reason']).toBe(reason);
  });

  test('an unsupported patch type: 415', async () => {
    const { status, json } = await call('PATCH', {}, 'application/yaml');
    expect(status).toBe(415);
    expect(json['reason']).toBe('UnsupportedMediaType');
  });
});

describe('faults', () => {
  test('429 carries Retry-After in the header and the details', async () => {
    nodes.setFaults([{ status: 429, retryAfterSeconds: 7 }]);
    const r = await call('GET');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
    expect(r.json).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 7 } });
    expect((await call('GET')).status).toBe(200);
  });

  test.each([
    [403, 'Forbidden'],
    [500, 'InternalError'],
    [503, 'ServiceUnavailable'],
    [504, 'Timeout'],
  ] as const)('%d answers %s, `times` requests, only for its method', async (code, reason) => {
    nodes.setFaults([{ status: code, method: 'PATCH', times: 2 }]);
    expect((await call('GET')).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await call('PATCH', {})).json).toMatchObject({ code, reason });
    expect((await call('PATCH', {})).status).toBe(200);
  });
});

describe('patch formats', () => {
  test('merge patch: objects merge, null deletes, lists are replaced whole', () => {
    expect(mergePatch({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: null, e: 'x' })).toEqual({
      a: { b: 1, c: [3] },
      e: 'x',
    });
  });

  test('JSON patch: a missing path is an error and nothing is applied', () => {
    const doc = { a: [1] };
    expect(() =>
      applyJsonPatch(doc, [
        { op: 'add', path: '/b', value: 1 },
        { op: 'remove', path: '/a/3' },
      ]),
    ).toThrow(/does not exist/);
    expect(doc).toEqual({ a: [1] });
  });
});
