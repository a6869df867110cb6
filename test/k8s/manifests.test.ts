// The raw manifests: apply-ready, valid against the Kubernetes schemas, secure as documented, and consistent
// with the agent's own flag parser, the package version and each other (standard vs hybrid).
import { describe, expect, test } from 'bun:test';
import { DaemonSet, type IDaemonSet } from 'kubernetes-models/apps/v1';
import { ConfigMap, type IContainer, ServiceAccount } from 'kubernetes-models/v1';
import pkg from '../../package.json' with { type: 'json' };
import { parseServerConfig } from '../../src/config.ts';
import { findManifest, K8S_DIR, loadManifests, type Manifest, manifestFiles } from './load-manifests.ts';

const top = loadManifests(K8S_DIR);
const hybrid = loadManifests(`${K8S_DIR}/hybrid`);
const optional = loadManifests(`${K8S_DIR}/optional`);

const standardDs = findManifest(top, 'DaemonSet', 'eks-pod-identity-agent') as unknown as IDaemonSet;
const hybridDs = findManifest(hybrid, 'DaemonSet', 'eks-pod-identity-agent-hybrid') as unknown as IDaemonSet;
const config = findManifest(top, 'ConfigMap', 'eks-pod-identity-agent-config') as {
  data: Record<string, string>;
};

const MODELS: Record<string, { validate(doc: Manifest['doc']): void }> = {
  DaemonSet: { validate: (doc) => new DaemonSet(doc as never).validate() },
  ConfigMap: { validate: (doc) => new ConfigMap(doc as never).validate() },
  ServiceAccount: { validate: (doc) => new ServiceAccount(doc as never).validate() },
};

function parts(ds: IDaemonSet) {
  const pod = ds.spec!.template.spec!;
  return { pod, init: pod.initContainers![0]!, server: pod.containers[0]! };
}

/** The server's flags as kubelet would pass them: $(VAR) expanded from the ConfigMap. */
function expandedArgs(server: IContainer): string[] {
  return (server.args ?? []).map((a) =>
    a.replace(/\$\(([A-Z_]+)\)/g, (_, name: string) => config.data[name] ?? ''),
  );
}

describe('kubectl apply -f k8s/ (top level, not recursive)', () => {
  // Anything else here (e.g. a Grafana dashboard .json) makes `kubectl apply -f k8s/` fail with
  // "Object 'Kind' is missing": such files belong in a subdirectory (k8s/optional/, k8s/dashboards/).
  test('every file kubectl would read is a Kubernetes object (kind + apiVersion)', () => {
    const notObjects = top.filter(
      (m) => typeof m.doc.kind !== 'string' || typeof m.doc.apiVersion !== 'string',
    );
    expect(notObjects.map((m) => m.file.replace(`${K8S_DIR}/`, 'k8s/'))).toEqual([]);
  });

  test('objects come in dependency order: ServiceAccount and ConfigMap before the DaemonSet', () => {
    const kinds = top.map((m) => m.doc.kind);
    expect(kinds.indexOf('DaemonSet')).toBeGreaterThan(kinds.indexOf('ConfigMap'));
    expect(kinds.indexOf('DaemonSet')).toBeGreaterThan(kinds.indexOf('ServiceAccount'));
    expect(manifestFiles(K8S_DIR).some((f) => f.includes('pod-monitor'))).toBe(false);
  });

  test.each([...top, ...hybrid].filter((m) => typeof m.doc.kind === 'string' && m.doc.kind in MODELS))(
    '$doc.kind $doc.metadata.name validates against the Kubernetes schema',
    (m) => {
      expect(() => MODELS[m.doc.kind as string]!.validate(m.doc)).not.toThrow();
      expect((m.doc.metadata as { namespace?: string }).namespace).toBe('kube-system');
    },
  );

  test('the schema check itself rejects a broken DaemonSet', () => {
    const broken = JSON.parse(JSON.stringify(standardDs)) as IDaemonSet;
    (broken.spec!.template.spec!.containers[0]!.securityContext!.capabilities!.add as unknown[]) = [5];
    expect(() => new DaemonSet(broken).validate()).toThrow(/must be string/);
  });
});

describe.each([
  ['standard', standardDs],
  ['hybrid', hybridDs],
])('%s DaemonSet', (_variant, ds) => {
  const { pod, init, server } = parts(ds);

  test('host network, own ServiceAccount without token, node-critical, tolerates everything, 10% rolling', () => {
    expect(ds.metadata!.namespace).toBe('kube-system');
    expect(pod.hostNetwork).toBe(true);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('eks-pod-identity-agent');
    expect(findManifest(top, 'ServiceAccount', 'eks-pod-identity-agent').automountServiceAccountToken).toBe(
      false,
    );
    expect(pod.priorityClassName).toBe('system-node-critical');
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(ds.spec!.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: '10%' },
    });
    expect(pod.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
  });

  test('linux amd64/arm64 only, never Fargate', () => {
    const terms =
      pod.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms;
    expect(terms).toHaveLength(1);
    const expr = Object.fromEntries(terms[0]!.matchExpressions!.map((e) => [e.key, e]));
    expect(expr['kubernetes.io/os']).toMatchObject({ operator: 'In', values: ['linux'] });
    expect(expr['kubernetes.io/arch']).toMatchObject({ operator: 'In', values: ['amd64', 'arm64'] });
    const computeType = expr['eks.amazonaws.com/compute-type']!;
    const allowsFargate =
      computeType.operator === 'In'
        ? computeType.values!.includes('fargate')
        : !computeType.values!.includes('fargate');
    expect(allowsFargate).toBe(false);
  });

  test('init container: `/eks-pod-identity-agent initialize` with NET_ADMIN only, not privileged', () => {
    expect(init.command).toEqual(['/eks-pod-identity-agent', 'initialize']);
    expect(init.securityContext).toMatchObject({
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] },
    });
  });

  test('server: go-runner + server, NET_BIND_SERVICE only, read-only root, no escalation', () => {
    expect(server.command).toEqual(['/go-runner', '/eks-pod-identity-agent', 'server']);
    expect(server.securityContext).toMatchObject({
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
    });
    // Plain typeof checks: Bun's toMatchObject with asymmetric matchers writes the matchers into the received object.
    expect(typeof server.resources?.requests?.cpu).toBe('string');
    expect(typeof server.resources?.requests?.memory).toBe('string');
    expect(typeof server.resources?.limits?.memory).toBe('string');
    // A declared port 80 would become hostPort 80 and evict ingress controllers from the node.
    expect(server.ports!.map((p) => p.containerPort)).not.toContain(80);
  });

  test('server flags parse with the agent parser: port 80, probes 2703, metrics 2705, cluster from the ConfigMap', () => {
    expect(server.envFrom).toEqual([{ configMapRef: { name: 'eks-pod-identity-agent-config' } }]);
    const parsed = parseServerConfig(expandedArgs(server), { ...config.data });
    expect(parsed).toMatchObject({
      clusterName: 'my-cluster',
      region: 'us-west-2',
      port: 80,
      probePort: 2703,
    });
    expect(parsed.metricsPort).toBe(2705);
    expect(parsed.rotateCredentials).toBe(_variant === 'hybrid');
    // TOKEN_ISSUER empty: the public agent's claim checks; filled in: signature verification by pod.
    expect(parsed.verifyTokens).toBe('claims');
    const issuer = 'https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
    const withIssuer = parseServerConfig(
      (server.args ?? []).map((a) =>
        a.replace(/\$\(([A-Z_]+)\)/g, (_, n: string) => ({ ...config.data, TOKEN_ISSUER: issuer })[n] ?? ''),
      ),
      { ...config.data },
    );
    expect([withIssuer.verifyTokens, withIssuer.tokenIssuer]).toEqual(['signature', issuer]);
  });

  test('probes hit the probe port on 127.0.0.1 (the probe server listens on localhost only)', () => {
    const parsed = parseServerConfig(expandedArgs(server), { ...config.data });
    const portNamed = (name: unknown) => server.ports!.find((p) => p.name === name)?.containerPort;
    for (const [probe, path] of [
      [server.livenessProbe, '/healthz'],
      [server.readinessProbe, '/readyz'],
    ] as const) {
      expect(probe?.httpGet).toMatchObject({ host: '127.0.0.1', path, scheme: 'HTTP' });
      expect(portNamed(probe!.httpGet!.port)).toBe(parsed.probePort);
    }
  });

  test('Prometheus annotations point at the metrics port', () => {
    const annotations = ds.spec!.template.metadata!.annotations!;
    expect(annotations['prometheus.io/scrape']).toBe('true');
    expect(annotations['prometheus.io/port']).toBe('2705');
    expect(server.ports!.find((p) => p.name === 'metrics')?.containerPort).toBe(2705);
  });

  test('one image for both containers, tagged with the package version', () => {
    expect(init.image).toBe(server.image!);
    expect(server.image!.endsWith(`:${pkg.version}`)).toBe(true);
  });

  test('selector matches the pod template labels', () => {
    const labels = ds.spec!.template.metadata!.labels!;
    for (const [k, v] of Object.entries(ds.spec!.selector.matchLabels!)) expect(labels[k]).toBe(v);
  });
});

test('the ConfigMap is the one place for cluster name, region and the optional token issuer', () => {
  expect(Object.keys(config.data).sort()).toEqual(['AWS_REGION', 'CLUSTER_NAME', 'TOKEN_ISSUER']);
});

test('standard variant excludes hybrid nodes; hybrid variant runs only there', () => {
  const computeType = (ds: IDaemonSet) =>
    parts(
      ds,
    ).pod.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms[0]!.matchExpressions!.find(
      (e) => e.key === 'eks.amazonaws.com/compute-type',
    );
  expect(computeType(standardDs)).toEqual({
    key: 'eks.amazonaws.com/compute-type',
    operator: 'NotIn',
    values: ['fargate', 'hybrid'],
  });
  expect(computeType(hybridDs)).toEqual({
    key: 'eks.amazonaws.com/compute-type',
    operator: 'In',
    values: ['hybrid'],
  });
});

test('hybrid variant: shared credentials file from /var/eks-hybrid/.aws, SELinux spc_t, else identical', () => {
  const { pod, server } = parts(hybridDs);
  expect(server.env).toEqual([
    { name: 'AWS_SHARED_CREDENTIALS_FILE', value: '/eks-hybrid/.aws/credentials' },
  ]);
  expect(server.volumeMounts).toContainEqual({
    name: 'aws-credentials',
    mountPath: '/eks-hybrid/.aws',
    readOnly: true,
  });
  expect(pod.volumes).toContainEqual({
    name: 'aws-credentials',
    hostPath: { path: '/var/eks-hybrid/.aws', type: 'Directory' },
  });
  expect(server.securityContext?.seLinuxOptions).toEqual({ type: 'spc_t' });

  // Undo the documented differences; what remains must equal the standard DaemonSet, so the two cannot drift.
  const normalised = JSON.parse(JSON.stringify(hybridDs)) as IDaemonSet;
  const n = parts(normalised);
  normalised.metadata!.name = standardDs.metadata!.name!;
  const relabel = (labels: Record<string, string> | undefined) => {
    if (labels?.['app.kubernetes.io/component']) labels['app.kubernetes.io/component'] = 'agent';
  };
  relabel(normalised.metadata!.labels);
  relabel(normalised.spec!.selector.matchLabels);
  relabel(normalised.spec!.template.metadata!.labels);
  n.pod.affinity = parts(standardDs).pod.affinity;
  n.server.args = n.server.args!.filter((a) => a !== '--rotate-credentials');
  delete n.server.env;
  delete n.server.securityContext!.seLinuxOptions;
  n.server.volumeMounts = n.server.volumeMounts!.filter((v) => v.name !== 'aws-credentials');
  n.pod.volumes = n.pod.volumes!.filter((v) => v.name !== 'aws-credentials');
  expect(normalised).toEqual(standardDs);
});

test('optional PodMonitor selects both DaemonSets and scrapes the named metrics port', () => {
  const monitor = findManifest(optional, 'PodMonitor', 'eks-pod-identity-agent') as {
    apiVersion: string;
    spec: {
      selector: { matchLabels: Record<string, string> };
      podMetricsEndpoints: Array<{ port: string; path: string }>;
    };
  };
  expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
  for (const ds of [standardDs, hybridDs]) {
    const labels = ds.spec!.template.metadata!.labels!;
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) expect(labels[k]).toBe(v);
    const portNames = parts(ds).server.ports!.map((p) => p.name);
    for (const endpoint of monitor.spec.podMetricsEndpoints) expect(portNames).toContain(endpoint.port);
  }
  expect(monitor.spec.podMetricsEndpoints[0]!.path).toBe('/metrics');
});
