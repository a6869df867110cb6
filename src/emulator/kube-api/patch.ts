// The two patch formats the nodes route takes: JSON merge patch (RFC 7386: objects merge, null deletes,
// anything else replaces, lists whole) and JSON patch (RFC 6902: add, remove, replace, test; a failed test
// or a missing path is an error, and nothing is applied). Both return a new document; the input is untouched.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, Json> = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key] ?? null, value);
  }
  return out;
}

export class JsonPatchError extends Error {
  /** A failed `test` (422 at the API server) or a malformed patch (400). */
  constructor(
    message: string,
    readonly kind: 'test' | 'path' | 'malformed',
  ) {
    super(message);
  }
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/'))
    throw new JsonPatchError(`invalid JSON pointer ${JSON.stringify(path)}`, 'malformed');
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function childOf(container: Json, token: string, path: string): Json {
  if (Array.isArray(container)) {
    const i = /^(0|[1-9]\d{0,8})$/.test(token) ? Number(token) : -1;
    if (i < 0 || i >= container.length) throw new JsonPatchError(`path ${path} does not exist`, 'path');
    return container[i]!;
  }
  if (isObject(container) && Object.hasOwn(container, token)) return container[token]!;
  throw new JsonPatchError(`path ${path} does not exist`, 'path');
}

function resolveParent(doc: Json, tokens: string[], path: string): { parent: Json; last: string } {
  let node = doc;
  for (const t of tokens.slice(0, -1)) node = childOf(node, t, path);
  return { parent: node, last: tokens.at(-1)! };
}

interface Operation {
  op: string;
  path: string;
  value?: Json;
}

function readOperations(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) throw new JsonPatchError('a JSON patch is an array of operations', 'malformed');
  return patch.map((raw) => {
    const o = raw as Partial<Operation> | null;
    if (!isObject(o) || typeof o.op !== 'string' || typeof o.path !== 'string') {
      throw new JsonPatchError('each operation needs "op" and "path"', 'malformed');
    }
    if (['add', 'replace', 'test'].includes(o.op) && !Object.hasOwn(o, 'value')) {
      throw new JsonPatchError(`operation ${o.op} needs a "value"`, 'malformed');
    }
    return o as Operation;
  });
}

export function applyJsonPatch(doc: Json, patch: unknown): Json {
  let out = structuredClone(doc);
  for (const op of readOperations(patch)) {
    const tokens = parsePointer(op.path);
    if (op.op === 'test') {
      const actual = tokens.reduce<Json>((node, t) => childOf(node, t, op.path), out);
      if (!Bun.deepEquals(actual, op.value, true)) {
        throw new JsonPatchError(`testing value ${op.path} failed: test failed`, 'test');
      }
      continue;
    }
    if (tokens.length === 0) {
      if (op.op === 'remove') throw new JsonPatchError('cannot remove the whole document', 'path');
      out = structuredClone(op.value!);
      continue;
    }
    const { parent, last } = resolveParent(out, tokens, op.path);
    if (op.op === 'remove' || op.op === 'replace') childOf(parent, last, op.path);
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > parent.length) {
        throw new JsonPatchError(`path ${op.path} does not exist`, 'path');
      }
      if (op.op === 'add') parent.splice(index, 0, structuredClone(op.value!));
      else if (op.op === 'remove') parent.splice(index, 1);
      else if (op.op === 'replace') parent[index] = structuredClone(op.value!);
      else throw new JsonPatchError(`unsupported operation ${op.op}`, 'malformed');
    } else if (isObject(parent)) {
      if (op.op === 'add' || op.op === 'replace') parent[last] = structuredClone(op.value!);
      else if (op.op === 'remove') delete parent[last];
      else throw new JsonPatchError(`unsupported operation ${op.op}`, 'malformed');
    } else {
      throw new JsonPatchError(`path ${op.path} does not exist`, 'path');
    }
  }
  return out;
}

export type { Json };
