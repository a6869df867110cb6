// Taking over from the managed add-on and going back: both directions adopt the other's pods (same names,
// selectors and container names), and the first rollout over the add-on's Go agent stops each old pod before
// starting ours (it holds port 80 without SO_REUSEPORT, so a surge pod could never bind beside it).
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { IDaemonSet } from 'kubernetes-models/apps/v1';
import { findManifest, kustomize, type Manifest, ROOT_DIR } from './load-manifests.ts';

// The add-on's DaemonSets as the public chart renders them with release name `eks-pod-identity-agent` (its
// hack/testdata/expected_*_helm_template.yaml, and `kubectl get ds -o yaml` of the managed add-on): facts only.
const RELEASE = 'eks-pod-identity-agent';
const ADDON = [
  'eks-pod-identity-agent',
  'eks-pod-identity-agent-hybrid',
  'eks-pod-identity-agent-hybrid-bottlerocket',
].map((name) => ({
  name,
  selector: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': RELEASE },
  podLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': RELEASE },
  containers: ['eks-pod-identity-agent'],
  initContainers: ['eks-pod-identity-agent-init'],
}));

const example = kustomize(join(ROOT_DIR, 'overlays/example'));
const migrate = kustomize(join(ROOT_DIR, 'overlays/migrate-from-addon'));
const ds = (manifests: readonly Manifest[], name: string) =>
  findManifest(manifests, 'DaemonSet', name) as unknown as IDaemonSet;
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe.each(ADDON)('$name', (addon) => {
  const ours = ds(example, addon.name);

  test('same name and selector (immutable once created), same container names', () => {
    expect(ours.metadata!.name).toBe(addon.name);
    expect(ours.spec!.selector.matchLabels).toEqual(addon.selector);
    const pod = ours.spec!.template.spec!;
    expect(pod.containers.map((c) => c.name)).toEqual(addon.containers);
    expect(pod.initContainers!.map((c) => c.name)).toEqual(addon.initContainers);
  });

  test("ours adopts the add-on's orphaned pods, and the add-on adopts ours on the way back", () => {
    expect(matches(ours.spec!.selector.matchLabels!, addon.podLabels)).toBe(true);
    expect(matches(addon.selector, ours.spec!.template.metadata!.labels!)).toBe(true);
  });

  test('the migration overlay: stop-then-start for the first rollout, everything else as the overlay', () => {
    const first = ds(migrate, addon.name);
    expect(first.spec!.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
    });
    const rest = structuredClone(first);
    rest.spec!.updateStrategy = ours.spec!.updateStrategy;
    expect(rest).toEqual(ours);
  });
});

test('the migration overlay changes nothing but the DaemonSets', () => {
  const others = (m: readonly Manifest[]) => m.filter((x) => x.doc.kind !== 'DaemonSet').map((x) => x.doc);
  expect(others(migrate)).toEqual(others(example));
});
