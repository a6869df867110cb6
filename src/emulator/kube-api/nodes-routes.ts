// GET and PATCH /api/v1/nodes/{name} for the API-server stand-in: Node objects as the API server serves them, a
// resourceVersion bumped on every change, and the precondition every update honours: a patch whose
// metadata.resourceVersion differs from the stored one is refused with 409 Conflict (a failed JSON-patch `test`
// is 422). Scripted faults answer the API server's own Status for each code, node name and caller included.
// About 230 lines: a test stand-in whose routes, preconditions and Status shapes are read together.
import { readBoundedBody } from '../../shared/bounded-read.ts';
import { parseJsonBytes } from '../json-bytes.ts';
import { createNodeStore, type NodeObject, type NodeStore } from './node-store.ts';
import { applyJsonPatch, type Json, JsonPatchError, mergePatch } from './patch.ts';
import type { KubeCaller, KubeRoute } from './routes.ts';
import { statusResponse, tooManyRequests } from './status.ts';

export type { NodeObject, NodeStore, NodeTaint } from './node-store.ts';

/** The API server's own request-body limit is 3 MiB; a node patch is a few hundred bytes. */
export const MAX_PATCH_BYTES = 1024 * 1024;
const TAINT_EFFECTS = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
const NODE_PATH = /^\/api\/v1\/nodes\/([a-z0-9.-]{1,253})$/;
const MAX_RECORDS = 1000;
const MAX_RECORDED_BODY = 4096;

export type NodeFaultStatus = 401 | 403 | 404 | 409 | 429 | 500 | 503 | 504;

export interface NodeFault {
  /** Which requests fail; default both GET and PATCH. */
  readonly method?: 'GET' | 'PATCH';
  readonly status: NodeFaultStatus;
  /** How many matching requests fail, one after another; default 1. */
  readonly times?: number;
  /** 429 only: the Retry-After in seconds; default 1, as the API server's max-in-flight filter sends. */
  readonly retryAfterSeconds?: number;
}

export interface NodeRequestRecord {
  readonly method: string;
  readonly name: string;
  readonly status: number;
  readonly contentType: string | null;
  /** The PATCH body, when at most 4 KiB. */
  readonly body: string | undefined;
  /** system:serviceaccount:NS:SA */
  readonly user: string;
}

/** Runs before a node request is applied: another writer changing the node in between makes a real conflict. */
export type NodeHook = (method: string, name: string) => void | Promise<void>;

export interface NodesApi {
  readonly store: NodeStore;
  /** Replaces the scripted faults; each answers its `times` matching requests, in list order. */
  setFaults(faults: readonly NodeFault[]): void;
  setHook(hook: NodeHook | undefined): void;
  /** The node requests answered so far (the last 1000). */
  requests(): readonly NodeRequestRecord[];
}

const nodeDetails = (name: string) => ({ details: { name, kind: 'nodes' } });
const userOf = (caller: KubeCaller) => `system:serviceaccount:${caller.namespace}:${caller.serviceAccount}`;

function faultAnswer(fault: NodeFault, user: string, verb: string, name: string): Response {
  switch (fault.status) {
    case 401:
      return statusResponse('Unauthorized', 'Unauthorized');
    case 403:
      return forbidden(user, verb, name);
    case 404:
      return statusResponse('NotFound', `nodes "${name}" not found`, nodeDetails(name));
    case 409:
      return conflict(name);
    case 429:
      return tooManyRequests(fault.retryAfterSeconds ?? 1);
    case 500:
      return statusResponse('InternalError', 'Internal error occurred: etcdserver: request timed out', {
        details: { causes: [{ message: 'etcdserver: request timed out' }] },
      });
    case 503:
      return statusResponse('ServiceUnavailable', 'the server is currently unable to handle the request');
    case 504:
      return statusResponse(
        'Timeout',
        'Timeout: request did not complete within requested timeout - context deadline exceeded',
      );
  }
}

function forbidden(user: string, verb: string, name: string): Response {
  return statusResponse(
    'Forbidden',
    `nodes "${name}" is forbidden: User "${user}" cannot ${verb} resource "nodes" in API group "" at the cluster scope`,
    nodeDetails(name),
  );
}

function conflict(name: string): Response {
  return statusResponse(
    'Conflict',
    `Operation cannot be fulfilled on nodes "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    nodeDetails(name),
  );
}

function invalid(name: string, field: string, why: string): Response {
  return statusResponse('Invalid', `Node "${name}" is invalid: ${field}: ${why}`, {
    details: { name, kind: 'Node', causes: [{ reason: 'FieldValueInvalid', message: why, field }] },
  });
}

/** The checks the API server's validation makes on what a patch here can change. */
function validate(name: string, node: NodeObject, current: NodeObject): Response | undefined {
  if (node.metadata.name !== name) {
    return statusResponse(
      'BadRequest',
      `the name of the object (${String(node.metadata.name)}) does not match the name on the URL (${name})`,
    );
  }
  if (node.metadata['uid'] !== current.metadata['uid']) return conflict(name);
  const taints = (node['spec'] as { taints?: unknown } | undefined)?.taints;
  if (taints === undefined) return undefined;
  if (!Array.isArray(taints)) return invalid(name, 'spec.taints', 'must be a list');
  for (const [i, t] of taints.entries()) {
    const taint = t as { key?: unknown; effect?: unknown } | null;
    if (typeof taint?.key !== 'string' || taint.key === '') {
      return invalid(name, `spec.taints[${i}].key`, 'Required value');
    }
    if (typeof taint.effect !== 'string' || !TAINT_EFFECTS.has(taint.effect)) {
      return invalid(name, `spec.taints[${i}].effect`, `Unsupported value: "${String(taint.effect)}"`);
    }
  }
  return undefined;
}

async function patch(store: NodeStore, name: string, request: Request, bytes: Uint8Array): Promise<Response> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/merge-patch+json' && type !== 'application/json-patch+json') {
    return statusResponse(
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
    );
  }
  const parsed = parseJsonBytes(bytes);
  if (parsed === undefined) return statusResponse('BadRequest', 'error decoding patch: invalid JSON');
  const current = store.get(name);
  if (current === undefined)
    return statusResponse('NotFound', `nodes "${name}" not found`, nodeDetails(name));
  let patched: Json;
  try {
    patched =
      type === 'application/merge-patch+json'
        ? mergePatch(current, parsed.value as Json)
        : applyJsonPatch(current, parsed.value);
  } catch (err) {
    if (!(err instanceof JsonPatchError)) throw err;
    return err.kind === 'malformed'
      ? statusResponse('BadRequest', err.message)
      : statusResponse('Invalid', err.message);
  }
  const node = patched as NodeObject;
  if (typeof node !== 'object' || node === null || Array.isArray(node) || typeof node.metadata !== 'object') {
    return statusResponse('BadRequest', 'the patch did not produce a Node object');
  }
  // The precondition: the resourceVersion the client sent (or left as it was) must be the stored one.
  if (node.metadata.resourceVersion !== current.metadata.resourceVersion) return conflict(name);
  const refused = validate(name, node, current);
  if (refused) return refused;
  // Check and write with no await between them, so no other request interleaves; no change, no new version.
  if (!Bun.deepEquals(node, current, true)) store.write(name, node);
  return Response.json(store.get(name));
}

export function createNodesRoutes(): { routes: KubeRoute[]; nodes: NodesApi } {
  const store = createNodeStore();
  const records: NodeRequestRecord[] = [];
  let faults: { fault: NodeFault; left: number }[] = [];
  let hook: NodeHook | undefined;

  function takeFault(method: string): NodeFault | undefined {
    const entry = faults.find((f) => f.left > 0 && (f.fault.method ?? method) === method);
    if (entry === undefined) return undefined;
    entry.left -= 1;
    return entry.fault;
  }

  async function answer(request: Request, name: string, caller: KubeCaller, body?: Uint8Array) {
    const method = request.method;
    const verb = method.toLowerCase();
    const fault = takeFault(method);
    if (fault) return faultAnswer(fault, userOf(caller), verb, name);
    await hook?.(method, name);
    if (method === 'GET') {
      const node = store.get(name);
      return node
        ? Response.json(node)
        : statusResponse('NotFound', `nodes "${name}" not found`, nodeDetails(name));
    }
    return patch(store, name, request, body!);
  }

  async function handle(request: Request, match: RegExpExecArray, caller: KubeCaller): Promise<Response> {
    const name = match[1]!;
    let body: Uint8Array | undefined;
    if (request.method === 'PATCH') {
      body = await readBoundedBody(request, MAX_PATCH_BYTES);
      if (body === undefined) {
        return statusResponse('RequestEntityTooLarge', 'the request body is too large');
      }
    }
    const response = await answer(request, name, caller, body);
    records.push({
      method: request.method,
      name,
      status: response.status,
      contentType: request.headers.get('content-type'),
      body: body && body.byteLength <= MAX_RECORDED_BODY ? new TextDecoder().decode(body) : undefined,
      user: userOf(caller),
    });
    if (records.length > MAX_RECORDS) records.shift();
    return response;
  }

  return {
    routes: [
      { method: 'GET', path: NODE_PATH, handle },
      { method: 'PATCH', path: NODE_PATH, handle },
    ],
    nodes: {
      store,
      setFaults(list) {
        faults = list.map((fault) => ({ fault, left: fault.times ?? 1 }));
      },
      setHook(next) {
        hook = next;
      },
      requests: () => [...records],
    },
  };
}
