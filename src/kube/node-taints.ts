// The Node object as far as taints go: read a node's taints and resourceVersion, and replace its taint list
// with a merge patch that carries that resourceVersion, so the API server refuses it (409 Conflict) if anyone
// changed the node since it was read (the object-level precondition of every Kubernetes update).
import type { KubeApiClient } from './api-client.ts';
import { KubeApiError } from './api-client.ts';

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

/** A taint as the API server stores it; unknown members (timeAdded, future fields) are kept as they came. */
export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
  readonly [member: string]: unknown;
}

/** What `--startup-taint` names: a key, and optionally one effect (like `kubectl taint nodes N key:effect-`). */
export interface TaintSelector {
  readonly key: string;
  readonly effect?: TaintEffect;
}

export interface NodeTaints {
  readonly name: string;
  readonly resourceVersion: string;
  readonly taints: readonly Taint[];
}

export function matchesTaint(taint: Taint, selector: TaintSelector): boolean {
  return taint.key === selector.key && (selector.effect === undefined || taint.effect === selector.effect);
}

export function describeSelector(selector: TaintSelector): string {
  return selector.effect === undefined ? selector.key : `${selector.key}:${selector.effect}`;
}

export function nodePath(name: string): string {
  return `/api/v1/nodes/${encodeURIComponent(name)}`;
}

function malformed(what: string): KubeApiError {
  return new KubeApiError('malformed', `the API server's Node object has no valid ${what}`);
}

/** Reads the parts of a Node object we use; anything else about it is left alone. */
export function readNodeTaints(body: unknown): NodeTaints {
  const node = (typeof body === 'object' && body !== null ? body : {}) as {
    kind?: unknown;
    metadata?: { name?: unknown; resourceVersion?: unknown };
    spec?: { taints?: unknown };
  };
  if (node.kind !== 'Node') throw malformed('kind');
  const name = node.metadata?.name;
  const resourceVersion = node.metadata?.resourceVersion;
  if (typeof name !== 'string' || name === '') throw malformed('metadata.name');
  if (typeof resourceVersion !== 'string' || resourceVersion === '')
    throw malformed('metadata.resourceVersion');
  const raw = node.spec?.taints ?? [];
  if (!Array.isArray(raw)) throw malformed('spec.taints');
  const taints = raw.map((t: unknown) => {
    const taint = t as Partial<Taint> | null;
    if (typeof taint?.key !== 'string' || typeof taint.effect !== 'string') throw malformed('spec.taints');
    return taint as Taint;
  });
  return { name, resourceVersion, taints };
}

export async function getNodeTaints(
  client: KubeApiClient,
  name: string,
  signal?: AbortSignal,
): Promise<NodeTaints> {
  return readNodeTaints(await client.requestJson(nodePath(name), { signal }));
}

/**
 * Replaces the node's taint list with `taints`, only if the node is still at `resourceVersion`.
 * A JSON merge patch replaces a list whole (Node's spec.taints has no merge key either), so the list sent is
 * exactly the list read minus what we remove: taints added by others since would be lost without the
 * resourceVersion precondition, which is why it is always sent.
 */
export async function replaceNodeTaints(
  client: KubeApiClient,
  current: NodeTaints,
  taints: readonly Taint[],
  signal?: AbortSignal,
): Promise<NodeTaints> {
  const body = {
    metadata: { resourceVersion: current.resourceVersion },
    // null deletes the field, as `kubectl taint` leaves a node without taints.
    spec: { taints: taints.length === 0 ? null : taints },
  };
  return readNodeTaints(
    await client.requestJson(nodePath(current.name), {
      method: 'PATCH',
      body,
      contentType: 'application/merge-patch+json',
      signal,
    }),
  );
}
