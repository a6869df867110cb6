// The API-server stand-in's Node objects: realistic EKS nodes, one resourceVersion counter for the store (like
// etcd's revision), copies in and out so no caller holds a live reference.
import { randomUUID } from 'node:crypto';
import type { Json } from './patch.ts';

export interface NodeTaint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export type NodeObject = Record<string, Json> & {
  metadata: { name: string; resourceVersion: string } & Record<string, Json>;
};

export interface NodeStore {
  /** Adds or replaces a node built from the name and taints (a realistic EKS node otherwise). */
  add(name: string, taints?: NodeTaint[]): NodeObject;
  get(name: string): NodeObject | undefined;
  /** Another writer's change (kubelet, a controller): mutates a copy, bumps the resourceVersion. */
  update(name: string, change: (node: NodeObject) => void): NodeObject;
  /** Stores a checked node as the next revision (the PATCH route's write). */
  write(name: string, node: NodeObject): void;
  names(): string[];
}

export function createNodeStore(): NodeStore {
  const nodes = new Map<string, NodeObject>();
  // One counter for the whole store, like etcd's revision.
  let revision = 1000;
  const nextVersion = () => String(++revision);

  const store: NodeStore = {
    add(name, taints = []) {
      const node = {
        kind: 'Node',
        apiVersion: 'v1',
        metadata: {
          name,
          uid: randomUUID(),
          resourceVersion: nextVersion(),
          creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          labels: {
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            'node.kubernetes.io/instance-type': 'm6i.large',
            'topology.kubernetes.io/zone': 'us-west-2a',
          },
          annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
        },
        spec: {
          providerID: 'aws:///us-west-2a/i-0123456789abcdef0',
          ...(taints.length > 0 ? { taints: structuredClone(taints) as unknown as Json } : {}),
        },
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'kubelet is posting ready status',
            },
          ],
          nodeInfo: {
            kubeletVersion: 'v1.33.0-eks-0000000',
            operatingSystem: 'linux',
            architecture: 'amd64',
          },
        },
      } as NodeObject;
      nodes.set(name, node);
      return structuredClone(node);
    },
    get(name) {
      const node = nodes.get(name);
      return node === undefined ? undefined : structuredClone(node);
    },
    update(name, change) {
      const node = nodes.get(name);
      if (node === undefined) throw new Error(`no node ${name}`);
      const copy = structuredClone(node);
      change(copy);
      copy.metadata.resourceVersion = nextVersion();
      nodes.set(name, copy);
      return structuredClone(copy);
    },
    write(name, node) {
      const copy = structuredClone(node);
      copy.metadata.resourceVersion = nextVersion();
      nodes.set(name, copy);
    },
    names: () => [...nodes.keys()],
  };
  return store;
}
