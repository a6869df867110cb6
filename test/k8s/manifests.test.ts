// The manifests: apply-ready three ways (`apply -f`, `apply -R -f`, `apply -k`), valid against the Kubernetes
// schemas, secure as documented, compatible with the managed add-on's DaemonSets (migration by rolling
// update), and consistent with the agent's own flag parser, the package version and each other.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonSet, type IDaemonSet } from 'kubernetes-models/apps/v1';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import {
  ConfigMap,
  type IContainer,
  type INodeSelectorRequirement,
  ServiceAccount,
} from 'kubernetes-models/v1';
import pkg from '../../package.json' with { type: 'json' };
import { missingSettings, parseServerConfig } from '../../src/config/server-config.ts';
import {
  findManifest,
  K8S_DIR,
  kustomize,
  loadManifests,
  type Manifest,
  manifestFiles,
  ROOT_DIR,
} from './load-manifests.ts';

const top = loadManifests(K8S_DIR);
const hybrid = loadManifests(`${K8S_DIR}/hybrid`);
const optional = loadManifests(`${K8S_DIR}/optional`);
const base = kustomize(K8S_DIR);
const overlay = kustomize(join(ROOT_DIR, 'overlays/example'));

const NAMES = {
  standard: 'eks-pod-identity-agent',
  nodeadm: 'eks-pod-identity-agent-hybrid',
  bottlerocket: 'eks-pod-identity-agent-hybrid-bottlerocket',
} as const;
const daemonSet = (manifests: readonly Manifest[], name: string) =>
  findManifest(manifests, 'DaemonSet', name) as unknown as IDaemonSet;
const standardDs = daemonSet(top, NAMES.standard);
const nodeadmDs = daemonSet(hybrid, NAMES.nodeadm);
const bottlerocketDs = daemonSet(hybrid, NAMES.bottlerocket);
const config = findManifest(top, 'ConfigMap', 'eks-pod-identity-agent-config') as {
  data: Record<string, string>;
};
const IMAGE = `eks-pod-identity-agent:${pkg.version}`;

const MODELS: Record<string, { validate(doc: Manifest['doc']): void }> = {
  DaemonSet: { validate: (doc) => new DaemonSet(doc as never).validate() },
  ConfigMap: { validate: (doc) => new ConfigMap(doc as never).validate() },
  ServiceAccount: { validate: (doc) => new ServiceAccount(doc as never).validate() },
  ClusterRoleBinding: { validate: (doc) => new ClusterRoleBinding(doc as never).validate() },
};
/** Cluster-scoped kinds carry no namespace. */
const CLUSTER_SCOPED = new Set(['ClusterRoleBinding']);

function parts(ds: IDaemonSet) {
  const pod = ds.spec!.template.spec!;
  return { pod, init: pod.initContainers![0]!, server: pod.containers[0]! };
}

/** The server's flags as kubelet would pass them: $(VAR) expanded from the ConfigMap data. */
function expandedArgs(server: IContainer, data: Record<string, string> = config.data): string[] {
  return (server.args ?? []).map((a) => a.replace(/\$\(([A-Z_]+)\)/g, (_, name: string) => data[name] ?? ''));
}

const short = (file: string) => file.replace(`${ROOT_DIR}/`, '');
const isObject = (m: Manifest) => typeof m.doc.kind === 'string' && typeof m.doc.apiVersion === 'string';

describe('three ways to apply', () => {
  // A non-object file (a Grafana dashboard .json, a kustomization.yaml, a partial patch) makes
  // `kubectl apply -f` fail with "Object 'Kind' is missing" or "no matches for kind Kustomization".
  test('`kubectl apply -f k8s/` and `-R -f k8s/` read only Kubernetes objects', () => {
    expect(top.filter((m) => !isObject(m)).map((m) => short(m.file))).toEqual([]);
    const recursive = loadManifests(K8S_DIR, true);
    expect(recursive.filter((m) => !isObject(m)).map((m) => short(m.file))).toEqual([]);
    expect(recursive.map((m) => m.doc.kind)).not.toContain('Kustomization');
  });

  test('objects come in dependency order: ServiceAccount and ConfigMap before the DaemonSet', () => {
    const kinds = top.map((m) => m.doc.kind);
    expect(kinds.indexOf('DaemonSet')).toBeGreaterThan(kinds.indexOf('ConfigMap'));
    expect(kinds.indexOf('DaemonSet')).toBeGreaterThan(kinds.indexOf('ServiceAccount'));
    expect(manifestFiles(K8S_DIR).some((f) => f.includes('pod-monitor'))).toBe(false);
  });

  test('`kubectl apply -k k8s/` renders exactly the objects of `apply -f k8s/ -f k8s/hybrid/`', () => {
    const key = (m: Manifest) => `${m.doc.kind}/${m.doc.metadata?.name}`;
    expect(base.map(key).sort()).toEqual([...top, ...hybrid].map(key).sort());
    for (const m of base) {
      const plain = [...top, ...hybrid].find((p) => key(p) === key(m))!;
      expect(m.doc).toEqual(plain.doc);
    }
  });

  // CI sets KUBECTL_DEBIAN to Debian's kubectl (1.20, kustomize 2.0.3) beside the machine's newer one.
  test.skipIf(!process.env['KUBECTL_DEBIAN'])("Debian's kubectl renders every kustomization the same", () => {
    const debian = process.env['KUBECTL_DEBIAN']!;
    // kustomize 2.0.3 writes an empty `annotations: {}` on a merged ConfigMap: the same object.
    const dropEmpty = (doc: Manifest['doc']) => {
      const meta = doc.metadata as { annotations?: object } | undefined;
      if (meta?.annotations && Object.keys(meta.annotations).length === 0) delete meta.annotations;
      return doc;
    };
    const sorted = (m: Manifest[]) =>
      m
        .map((x) => dropEmpty(x.doc))
        .sort((a, b) => `${a.kind}/${a.metadata?.name}`.localeCompare(`${b.kind}/${b.metadata?.name}`));
    for (const dir of [
      K8S_DIR,
      `${K8S_DIR}/optional`,
      ...['example', 'migrate-from-addon', 'startup-taint', 'startup-taint-guarded'].map((o) =>
        join(ROOT_DIR, 'overlays', o),
      ),
    ]) {
      expect({ dir, objects: sorted(kustomize(dir, debian)) }).toEqual({
        dir,
        objects: sorted(kustomize(dir)),
      });
    }
  });

  test.each([
    ...[...top, ...hybrid].map((m) => ({ from: short(m.file), m })),
    ...overlay.map((m) => ({ from: 'kubectl kustomize overlays/example', m })),
  ])('$m.doc.kind $m.doc.metadata.name ($from) validates against the Kubernetes schema', ({ m }) => {
    expect(Object.keys(MODELS)).toContain(m.doc.kind as string);
    expect(() => MODELS[m.doc.kind as string]!.validate(m.doc)).not.toThrow();
    expect(m.doc.metadata?.namespace).toBe(
      CLUSTER_SCOPED.has(m.doc.kind as string) ? undefined : 'kube-system',
    );
  });

  test('the schema check itself rejects a broken DaemonSet', () => {
    const broken = structuredClone(standardDs);
    (broken.spec!.template.spec!.containers[0]!.securityContext!.capabilities!.add as unknown[]) = [5];
    expect(() => new DaemonSet(broken).validate()).toThrow(/must be string/);
  });

  test('the example overlay sets image, cluster name and region without renaming anything', () => {
    const cm = findManifest(overlay, 'ConfigMap', 'eks-pod-identity-agent-config') as typeof config;
    // TOKEN_ISSUER stays empty: the keys come from the API server (a public issuer URL may be unreachable).
    expect(cm.data).toEqual({ CLUSTER_NAME: 'my-cluster', AWS_REGION: 'us-west-2', TOKEN_ISSUER: '' });
    for (const name of Object.values(NAMES)) {
      const { init, server } = parts(daemonSet(overlay, name));
      expect([init.image, server.image]).toEqual([
        `111122223333.dkr.ecr.us-west-2.amazonaws.com/${IMAGE}`,
        `111122223333.dkr.ecr.us-west-2.amazonaws.com/${IMAGE}`,
      ]);
      const inPod = { ...cm.data, KUBERNETES_SERVICE_HOST: '10.100.0.1', KUBERNETES_SERVICE_PORT: '443' };
      const parsed = parseServerConfig(expandedArgs(server, cm.data), inPod);
      expect([parsed.clusterName, parsed.region, parsed.verifyTokens, parsed.tokenIssuer]).toEqual([
        'my-cluster',
        'us-west-2',
        'signature',
        undefined,
      ]);
      expect(missingSettings(parsed)).toEqual([]);
    }
  });
});

describe('an unedited install is unready and says what to set', () => {
  test('CLUSTER_NAME and AWS_REGION ship empty; the flags still parse; both are named as missing', () => {
    expect(config.data).toEqual({ CLUSTER_NAME: '', AWS_REGION: '', TOKEN_ISSUER: '' });
    for (const ds of [standardDs, nodeadmDs, bottlerocketDs]) {
      const parsed = parseServerConfig(expandedArgs(parts(ds).server), { ...config.data });
      expect(missingSettings(parsed)).toEqual(['CLUSTER_NAME (--cluster-name)', 'AWS_REGION']);
    }
  });
});

describe.each([
  ['standard', standardDs],
  ['hybrid nodeadm', nodeadmDs],
  ['hybrid bottlerocket', bottlerocketDs],
])('%s DaemonSet', (variant, ds) => {
  const { pod, init, server } = parts(ds);
  const filled = { CLUSTER_NAME: 'prod', AWS_REGION: 'us-west-2', TOKEN_ISSUER: '' };

  test('host network, own ServiceAccount (token mounted for the agent pods only), node-critical, tolerates everything', () => {
    expect(ds.metadata!.namespace).toBe('kube-system');
    expect(pod.hostNetwork).toBe(true);
    // For GET /openid/v1/jwks; the ServiceAccount itself mounts no token into any other pod.
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.serviceAccountName).toBe('eks-pod-identity-agent');
    expect(findManifest(top, 'ServiceAccount', 'eks-pod-identity-agent').automountServiceAccountToken).toBe(
      false,
    );
    expect(pod.priorityClassName).toBe('system-node-critical');
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
  });

  test('zero-downtime rollout: surge one new pod per node before the old one goes; no hostPort to block it', () => {
    expect(ds.spec!.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    // On the host network every declared containerPort becomes a hostPort, and the scheduler keeps a second
    // pod with the same hostPort off the node: the surge pod would never start.
    for (const c of [init, server]) expect(c.ports).toBeUndefined();
  });

  test("the managed add-on's names and selector (name + instance), so `apply` over it is a rolling update", () => {
    const name = ds.metadata!.name!;
    expect(ds.spec!.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': name,
      'app.kubernetes.io/instance': 'eks-pod-identity-agent',
    });
    const labels = ds.spec!.template.metadata!.labels!;
    for (const [k, v] of Object.entries(ds.spec!.selector.matchLabels!)) expect(labels[k]).toBe(v);
    expect([init.name, server.name]).toEqual(['eks-pod-identity-agent-init', 'eks-pod-identity-agent']);
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
  });

  test('server flags parse with the agent parser: port 80, probes 2703, metrics 2705, cluster from the ConfigMap', () => {
    expect(server.envFrom).toEqual([{ configMapRef: { name: 'eks-pod-identity-agent-config' } }]);
    const parsed = parseServerConfig(expandedArgs(server, filled), { ...filled });
    expect(parsed).toMatchObject({ clusterName: 'prod', region: 'us-west-2', port: 80, probePort: 2703 });
    expect(parsed.metricsPort).toBe(2705);
    expect(parsed.rotateCredentials).toBe(variant !== 'standard');
    // Outside a cluster, TOKEN_ISSUER empty: claim checks only. In a pod (the kubelet sets the
    // KUBERNETES_SERVICE_* variables, also on the host network): signatures checked against the API server's
    // keys with no setting at all, the last good set cached in the /tmp emptyDir.
    expect(parsed.verifyTokens).toBe('claims');
    const inCluster = { ...filled, KUBERNETES_SERVICE_HOST: '10.100.0.1', KUBERNETES_SERVICE_PORT: '443' };
    const unedited = parseServerConfig(expandedArgs(server, filled), inCluster);
    expect([unedited.verifyTokens, unedited.tokenIssuer, unedited.jwksCacheFile]).toEqual([
      'signature',
      undefined,
      '/tmp/jwks.json',
    ]);
    expect(unedited.kubeApi).toEqual({
      baseUrl: 'https://10.100.0.1:443',
      tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
    });
    const tmp = pod.volumes!.find((v) => v.name === 'tmp');
    expect(tmp?.emptyDir).toBeDefined();
    expect(server.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    const issuer = 'https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
    const withIssuer = parseServerConfig(expandedArgs(server, { ...filled, TOKEN_ISSUER: issuer }), {
      ...filled,
    });
    expect([withIssuer.verifyTokens, withIssuer.tokenIssuer]).toEqual(['signature', issuer]);
  });

  test('probes hit the probe port on 127.0.0.1 (the probe server listens on localhost only)', () => {
    const parsed = parseServerConfig(expandedArgs(server, filled), { ...filled });
    for (const [probe, path] of [
      [server.livenessProbe, '/healthz'],
      [server.readinessProbe, '/readyz'],
    ] as const) {
      expect(probe?.httpGet).toMatchObject({ host: '127.0.0.1', path, scheme: 'HTTP' });
      expect(probe!.httpGet!.port).toBe(parsed.probePort);
    }
  });

  test("startup probe: this pod's own agent on its probe socket, inside the pod's /tmp volume", () => {
    const parsed = parseServerConfig(expandedArgs(server, filled), { ...filled });
    expect(parsed.probeSocket).toBe('/tmp/eks-pod-identity-agent.sock');
    expect(server.startupProbe?.exec?.command).toEqual([
      '/eks-pod-identity-agent',
      'probe',
      '--socket',
      parsed.probeSocket!,
    ]);
    const tmp = server.volumeMounts!.find((m) => parsed.probeSocket!.startsWith(`${m.mountPath}/`));
    expect(pod.volumes!.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
    // Liveness and readiness wait for it rather than for a fixed delay.
    expect(server.livenessProbe?.initialDelaySeconds).toBeUndefined();
  });

  test('SIGTERM: a handover then the drain, both inside the grace period before SIGKILL', () => {
    const parsed = parseServerConfig(expandedArgs(server, filled), { ...filled });
    expect(parsed.drainDelayMs).toBeGreaterThan(0);
    expect(parsed.drainDelayMs + parsed.shutdownTimeoutMs).toBeLessThan(
      pod.terminationGracePeriodSeconds! * 1000,
    );
  });

  test('Prometheus annotations point at the metrics port', () => {
    const annotations = ds.spec!.template.metadata!.annotations!;
    expect(annotations['prometheus.io/scrape']).toBe('true');
    expect(Number(annotations['prometheus.io/port'])).toBe(
      parseServerConfig(expandedArgs(server, filled), { ...filled }).metricsPort,
    );
  });

  test('one image for both containers: the name the kustomization rewrites, tagged with the package version', () => {
    expect([init.image, server.image]).toEqual([IMAGE, IMAGE]);
  });
});

test('the kustomization is the one place for the image: name and tag match package.json', () => {
  const text = readFileSync(join(K8S_DIR, 'Kustomization'), 'utf8');
  const kustomization = Bun.YAML.parse(text) as {
    images: Array<{ name: string; newName: string; newTag: string }>;
  };
  expect(kustomization.images).toEqual([
    { name: 'eks-pod-identity-agent', newName: 'eks-pod-identity-agent', newTag: pkg.version },
  ]);
});

/** Kubernetes' node-affinity semantics for one term: every expression must hold. */
function termMatches(term: readonly INodeSelectorRequirement[], labels: Record<string, string>): boolean {
  return term.every((e) => {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        return has && e.values!.includes(value!);
      case 'NotIn':
        return !has || !e.values!.includes(value!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        throw new Error(`operator ${e.operator} not modelled`);
    }
  });
}

function schedulesOn(ds: IDaemonSet, labels: Record<string, string>): boolean {
  const terms =
    parts(ds).pod.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms;
  return terms.some((t) => termMatches(t.matchExpressions ?? [], labels));
}

const LINUX = { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' };
const BOTTLEROCKET = {
  'os.bottlerocket.aws/variant': 'aws-k8s-1.33',
  'os.bottlerocket.aws/version': '1.40.0',
};
test.each([
  ['EC2 node', LINUX, NAMES.standard],
  ['EC2 Bottlerocket node', { ...LINUX, ...BOTTLEROCKET }, NAMES.standard],
  [
    'EC2 node labelled compute-type=ec2',
    { ...LINUX, 'eks.amazonaws.com/compute-type': 'ec2' },
    NAMES.standard,
  ],
  ['arm64 node', { ...LINUX, 'kubernetes.io/arch': 'arm64' }, NAMES.standard],
  ['Fargate', { ...LINUX, 'eks.amazonaws.com/compute-type': 'fargate' }, undefined],
  // Auto Mode nodes run the agent themselves; ours would find the port taken and crash-loop there.
  ['EKS Auto Mode node', { ...LINUX, 'eks.amazonaws.com/compute-type': 'auto' }, undefined],
  ['Windows node', { ...LINUX, 'kubernetes.io/os': 'windows' }, undefined],
  ['hybrid node (nodeadm)', { ...LINUX, 'eks.amazonaws.com/compute-type': 'hybrid' }, NAMES.nodeadm],
  [
    'hybrid node (Bottlerocket)',
    { ...LINUX, ...BOTTLEROCKET, 'eks.amazonaws.com/compute-type': 'hybrid' },
    NAMES.bottlerocket,
  ],
] as const)('%s runs exactly the expected DaemonSet', (_node, labels, expected) => {
  const running = [standardDs, nodeadmDs, bottlerocketDs]
    .filter((ds) => schedulesOn(ds, labels))
    .map((ds) => ds.metadata!.name);
  expect(running).toEqual(expected === undefined ? [] : [expected]);
});

test('hybrid variants: credentials file from the host path of each, SELinux spc_t on Bottlerocket, else identical', () => {
  for (const [ds, hostPath] of [
    [nodeadmDs, '/eks-hybrid/.aws'],
    [bottlerocketDs, '/var/eks-hybrid/.aws'],
  ] as const) {
    const { pod, server } = parts(ds);
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
      hostPath: { path: hostPath, type: 'Directory' },
    });
  }
  expect(parts(nodeadmDs).server.securityContext?.seLinuxOptions).toBeUndefined();
  expect(parts(bottlerocketDs).server.securityContext?.seLinuxOptions).toEqual({ type: 'spc_t' });

  // Undo the documented differences; what remains must equal the standard DaemonSet, so they cannot drift.
  for (const ds of [nodeadmDs, bottlerocketDs]) {
    const normalised = structuredClone(ds);
    const n = parts(normalised);
    const name = standardDs.metadata!.name!;
    normalised.metadata!.name = name;
    normalised.metadata!.labels!['app.kubernetes.io/name'] = name;
    normalised.spec!.selector.matchLabels!['app.kubernetes.io/name'] = name;
    normalised.spec!.template.metadata!.labels!['app.kubernetes.io/name'] = name;
    n.pod.affinity = parts(standardDs).pod.affinity;
    n.server.args = n.server.args!.filter((a) => a !== '--rotate-credentials');
    delete n.server.env;
    delete n.server.securityContext!.seLinuxOptions;
    n.server.volumeMounts = n.server.volumeMounts!.filter((v) => v.name !== 'aws-credentials');
    n.pod.volumes = n.pod.volumes!.filter((v) => v.name !== 'aws-credentials');
    expect(normalised).toEqual(standardDs);
  }
});

test('`kubectl apply -k k8s/optional/` renders the PodMonitor and the PrometheusRule', () => {
  expect(kustomize(`${K8S_DIR}/optional`).map((m) => `${m.doc.kind}/${m.doc.metadata?.name}`)).toEqual([
    'PodMonitor/eks-pod-identity-agent',
    'PrometheusRule/eks-pod-identity-agent',
  ]);
});

test('optional PodMonitor selects every DaemonSet and scrapes the metrics port from the pod IP', () => {
  const monitor = findManifest(optional, 'PodMonitor', 'eks-pod-identity-agent') as {
    apiVersion: string;
    spec: {
      selector: { matchLabels: Record<string, string> };
      podMetricsEndpoints: Array<{ path: string; relabelings: Array<Record<string, unknown>> }>;
    };
  };
  expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
  for (const ds of [standardDs, nodeadmDs, bottlerocketDs]) {
    const labels = ds.spec!.template.metadata!.labels!;
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) expect(labels[k]).toBe(v);
  }
  const [endpoint] = monitor.spec.podMetricsEndpoints;
  expect(endpoint!.path).toBe('/metrics');
  expect(endpoint!.relabelings).toContainEqual({
    sourceLabels: ['__meta_kubernetes_pod_ip'],
    targetLabel: '__address__',
    replacement: `$1:${standardDs.spec!.template.metadata!.annotations!['prometheus.io/port']}`,
  });
});

test('RBAC: the agent ServiceAccount bound to the built-in system:service-account-issuer-discovery, nothing else', () => {
  const bindings = top.filter((m) => m.doc.kind === 'ClusterRoleBinding');
  expect(bindings).toHaveLength(1);
  const binding = bindings[0]!.doc as unknown as { roleRef: unknown; subjects: unknown };
  expect(binding.roleRef).toEqual({
    apiGroup: 'rbac.authorization.k8s.io',
    kind: 'ClusterRole',
    name: 'system:service-account-issuer-discovery',
  });
  expect(binding.subjects).toEqual([
    { kind: 'ServiceAccount', name: 'eks-pod-identity-agent', namespace: 'kube-system' },
  ]);
  // No ClusterRole of our own: the built-in one grants GET on the discovery and JWKS paths only.
  expect(base.map((m) => m.doc.kind)).not.toContain('ClusterRole');
  expect(findManifest(top, 'ServiceAccount', 'eks-pod-identity-agent').automountServiceAccountToken).toBe(
    false,
  );
});
