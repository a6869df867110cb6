// overlays/startup-taint and overlays/startup-taint-guarded, as `kubectl kustomize` renders them: every
// DaemonSet mounts its token, gets NODE_NAME from the downward API and a --startup-taint the agent's parser
// accepts; RBAC is exactly get+patch on nodes for the agent's ServiceAccount; the admission policy names the
// same user and key; the README's Karpenter and node-group examples use that key. The base stays off.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicyBinding,
} from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { DaemonSet, type IDaemonSet } from 'kubernetes-models/apps/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, ServiceAccount } from 'kubernetes-models/v1';
import { parseServerConfig } from '../../src/config/server-config.ts';
import { K8S_DIR, kustomize, type Manifest, ROOT_DIR } from './load-manifests.ts';

const overlay = kustomize(join(ROOT_DIR, 'overlays/startup-taint'));
const guarded = kustomize(join(ROOT_DIR, 'overlays/startup-taint-guarded'));
const base = kustomize(K8S_DIR);
const KEY = 'eks-pod-identity-agent/not-ready';
const SA = 'system:serviceaccount:kube-system:eks-pod-identity-agent';

const MODELS: Record<string, (doc: Manifest['doc']) => void> = {
  DaemonSet: (d) => new DaemonSet(d as never).validate(),
  ConfigMap: (d) => new ConfigMap(d as never).validate(),
  ServiceAccount: (d) => new ServiceAccount(d as never).validate(),
  ClusterRole: (d) => new ClusterRole(d as never).validate(),
  ClusterRoleBinding: (d) => new ClusterRoleBinding(d as never).validate(),
  ValidatingAdmissionPolicy: (d) => new ValidatingAdmissionPolicy(d as never).validate(),
  ValidatingAdmissionPolicyBinding: (d) => new ValidatingAdmissionPolicyBinding(d as never).validate(),
};

const daemonSets = (ms: readonly Manifest[]) =>
  ms.filter((m) => m.doc.kind === 'DaemonSet').map((m) => m.doc as unknown as IDaemonSet);
const ofKind = (ms: readonly Manifest[], kind: string) =>
  ms.filter((m) => m.doc.kind === kind).map((m) => m.doc);

describe.each([
  ['overlays/startup-taint', overlay],
  ['overlays/startup-taint-guarded', guarded],
])('%s', (_name, rendered) => {
  test.each(rendered.map((m) => ({ kind: m.doc.kind as string, name: m.doc.metadata?.name, m })))(
    '$kind $name validates against the Kubernetes schema',
    ({ kind, m }) => {
      expect(Object.keys(MODELS)).toContain(kind);
      expect(() => MODELS[kind]!(m.doc)).not.toThrow();
    },
  );

  test('every DaemonSet: token mounted, NODE_NAME from spec.nodeName, --startup-taint the agent accepts', () => {
    const sets = daemonSets(rendered);
    expect(sets.map((d) => d.metadata!.name).sort()).toEqual(
      daemonSets(base)
        .map((d) => d.metadata!.name)
        .sort(),
    );
    for (const ds of sets) {
      const pod = ds.spec!.template.spec!;
      const server = pod.containers[0]!;
      expect(pod.automountServiceAccountToken).toBe(true);
      expect(server.env).toContainEqual({
        name: 'NODE_NAME',
        valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } },
      });
      // The base's env stays (hybrid nodes' credentials file).
      const baseServer = daemonSets(base).find((d) => d.metadata!.name === ds.metadata!.name)!.spec!.template
        .spec!.containers[0]!;
      for (const e of baseServer.env ?? []) expect(server.env).toContainEqual(e);
      expect(server.args!.slice(0, baseServer.args!.length)).toEqual(baseServer.args!);
      // $(VAR) as kubelet expands it from the ConfigMap (empty values: the base ships them empty).
      const cm = ofKind(rendered, 'ConfigMap')[0] as { data: Record<string, string> };
      const args = server.args!.map((a) => a.replace(/\$\(([A-Z_]+)\)/g, (_, v: string) => cm.data[v] ?? ''));
      const parsed = parseServerConfig(args, {
        AWS_REGION: 'us-west-2',
        NODE_NAME: 'ip-10-0-0-1.us-west-2.compute.internal',
        KUBERNETES_SERVICE_HOST: '10.100.0.1',
        KUBERNETES_SERVICE_PORT: '443',
      });
      expect(parsed.startupTaint!.taint).toEqual({ key: KEY });
      expect(pod.serviceAccountName).toBe('eks-pod-identity-agent');
    }
  });

  test('RBAC: get and patch on nodes, nothing else, bound to the agent ServiceAccount only', () => {
    const [role] = ofKind(rendered, 'ClusterRole') as { rules: unknown[] }[];
    expect(role!.rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] }]);
    // The base's own binding (issuer discovery, for the signing keys) is there too; this is the overlay's.
    const binding = (
      ofKind(rendered, 'ClusterRoleBinding') as {
        metadata: { name: string };
        subjects: unknown[];
        roleRef: unknown;
      }[]
    ).find((b) => b.metadata.name === 'eks-pod-identity-agent-startup-taint');
    expect(binding!.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'eks-pod-identity-agent', namespace: 'kube-system' },
    ]);
    expect(binding!.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'eks-pod-identity-agent-startup-taint',
    });
  });
});

describe('the admission policy (startup-taint-guarded)', () => {
  const [policy] = ofKind(guarded, 'ValidatingAdmissionPolicy') as {
    metadata: { name: string };
    spec: {
      matchConditions: { expression: string }[];
      variables: { name: string; expression: string }[];
      validations: { expression: string }[];
      matchConstraints: { resourceRules: { operations: string[]; resources: string[] }[] };
    };
  }[];
  const [binding] = ofKind(guarded, 'ValidatingAdmissionPolicyBinding') as {
    spec: { policyName: string; validationActions: string[] };
  }[];

  test('applies to the agent user on node updates, denies, and names the same key as --startup-taint', () => {
    expect(policy!.spec.matchConditions[0]!.expression).toBe(`request.userInfo.username == '${SA}'`);
    expect(policy!.spec.matchConstraints.resourceRules).toMatchObject([
      { operations: ['UPDATE'], resources: ['nodes'] },
    ]);
    expect(policy!.spec.variables.find((v) => v.name === 'startupTaintKey')!.expression).toBe(`'${KEY}'`);
    expect(binding!.spec).toEqual({ policyName: policy!.metadata.name, validationActions: ['Deny'] });
  });

  test('checks the node-name claim of the caller, and that taints only lose the startup key', () => {
    const rules = policy!.spec.validations.map((v) => v.expression).join('\n');
    expect(rules).toContain("request.userInfo.extra['authentication.kubernetes.io/node-name']");
    expect(rules).toContain('object.metadata.name in');
    expect(rules).toContain('variables.newTaints.all(t, t in variables.oldTaints)');
    expect(rules).toContain('t.key == variables.startupTaintKey');
  });
});

describe('off by default; the README examples match the overlay', () => {
  test('the base binds no node RBAC and passes no --startup-taint (it mounts the token for the signing keys)', () => {
    expect(base.map((m) => m.doc.kind)).not.toContain('ClusterRole');
    for (const ds of daemonSets(base)) {
      expect(ds.spec!.template.spec!.automountServiceAccountToken).toBe(true);
      expect(ds.spec!.template.spec!.containers[0]!.args!.join(' ')).not.toContain('--startup-taint');
    }
  });

  test('the Karpenter NodePool and node-group examples in k8s/README.md register the same taint', () => {
    const readme = readFileSync(join(K8S_DIR, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```(yaml|sh)\n([\s\S]*?)```/g)].map((m) => m[2]!);
    const nodePool = blocks.find((b) => b.includes('kind: NodePool'));
    expect(nodePool).toBeDefined();
    const parsed = Bun.YAML.parse(nodePool!) as {
      apiVersion: string;
      spec: { template: { spec: { startupTaints: { key: string; value: string; effect: string }[] } } };
    };
    expect(parsed.apiVersion).toBe('karpenter.sh/v1');
    expect(parsed.spec.template.spec.startupTaints).toEqual([
      { key: KEY, value: 'true', effect: 'NoSchedule' },
    ]);
    expect(blocks.some((b) => b.includes(`key=${KEY},value=true,effect=NO_SCHEDULE`))).toBe(true);
    expect(readme).toContain(`--register-with-taints=${KEY}=true:NoSchedule`);
  });
});
