// The alerts in k8s/optional/prometheus-rule.yaml, each tested by `promtool test rules` with input series that
// fire it and series that do not (a near miss, or a condition that does not last its `for`). Needs promtool
// (Debian package `prometheus`); CI installs it.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K8S_DIR } from '../k8s/load-manifests.ts';

const PROMTOOL = Bun.which('promtool');
if (!PROMTOOL)
  console.warn(
    '\n*** SKIPPING PrometheusRule tests: `promtool` not found (apt-get install prometheus) ***\n',
  );

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
const ruleDoc = Bun.YAML.parse(readFileSync(join(K8S_DIR, 'optional/prometheus-rule.yaml'), 'utf8')) as {
  kind: string;
  spec: { groups: Array<{ name: string; rules: Rule[] }> };
};
const RULES = ruleDoc.spec.groups.flatMap((g) => g.rules);

const JOB = 'kube-system/eks-pod-identity-agent';
const TARGET = {
  job: JOB,
  instance: '10.0.1.5:2705',
  node: 'ip-10-0-1-5',
  namespace: 'kube-system',
  pod: 'eks-pod-identity-agent-x7k2p',
};
const AT = { instance: TARGET.instance, node: TARGET.node };
const other = {
  ...TARGET,
  instance: '10.0.2.9:2705',
  node: 'ip-10-0-2-9',
  pod: 'eks-pod-identity-agent-q9z3w',
};

/** promtool series notation: `{k="v",...}` after the name. */
function series(name: string, labels: Record<string, string>): string {
  return `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;
}

/** The rule's annotations with `{{ $labels.x }}` filled from the alert's labels, as Prometheus renders them. */
function annotationsFor(alert: string, labels: Record<string, string>): Record<string, string> {
  const rule = RULES.find((r) => r.alert === alert)!;
  return Object.fromEntries(
    Object.entries(rule.annotations).map(([k, v]) => [
      k,
      v.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, name: string) => labels[name] ?? ''),
    ]),
  );
}

interface Case {
  alert: string;
  series: Array<{ series: string; values: string }>;
  /** Minutes after the start at which the alert is checked. */
  at: number;
  /** Labels of each firing alert (without the rule's own labels); empty: must not fire. */
  fires: Array<Record<string, string>>;
}

const ok = (name: string, labels: Record<string, string>, values: string) => ({
  series: series(name, labels),
  values,
});
const responses = (code: string, labels: Record<string, string>, values: string) =>
  ok('pod_identity_http_response', { ...labels, code }, values);
const calls = (result: string, labels: Record<string, string>, values: string) =>
  ok('pod_identity_upstream_calls_total', { ...labels, reason: 'request', result }, values);
const ds = { namespace: 'kube-system', daemonset: 'eks-pod-identity-agent', job: 'kube-state-metrics' };
const limit = (pod: string) =>
  ok(
    'kube_pod_container_resource_limits',
    {
      namespace: 'kube-system',
      pod,
      container: 'eks-pod-identity-agent',
      resource: 'memory',
      unit: 'byte',
      job: 'kube-state-metrics',
    },
    `${384 * 1024 * 1024}x30`,
  );

const CASES: Array<[string, Case]> = [
  [
    'down 6 minutes fires; a 3-minute blip and a healthy agent do not',
    {
      alert: 'EksPodIdentityAgentDown',
      series: [ok('up', TARGET, '1 0x10'), ok('up', other, '1 0 0 0 1x10')],
      at: 8,
      fires: [TARGET],
    },
  ],
  [
    'unavailable for 16 minutes fires; the hybrid DaemonSet at 0 does not',
    {
      alert: 'EksPodIdentityAgentDaemonSetUnavailable',
      series: [
        ok('kube_daemonset_status_number_unavailable', ds, '1x20'),
        ok(
          'kube_daemonset_status_number_unavailable',
          { ...ds, daemonset: 'eks-pod-identity-agent-hybrid' },
          '0x20',
        ),
      ],
      at: 17,
      fires: [ds],
    },
  ],
  [
    '10% 5xx fires; 2% 5xx and an idle agent do not',
    {
      alert: 'EksPodIdentityAgentHighErrorRatio',
      // Counters: +54/min of 200 and +6/min of 503 (10%) on one node; +98 and +2 (2%) on the other.
      series: [
        responses('200', TARGET, '0+54x30'),
        responses('503', TARGET, '0+6x30'),
        responses('200', other, '0+98x30'),
        responses('503', other, '0+2x30'),
        responses('503', { ...TARGET, instance: '10.0.3.3:2705', node: 'idle' }, '0x30'),
      ],
      at: 20,
      fires: [AT],
    },
  ],
  [
    'a quarter of the calls throttled for 20 minutes fires; 5% does not',
    {
      alert: 'EksAuthThrottlingSustained',
      series: [
        calls('success', TARGET, '0+30x30'),
        calls('ThrottlingException', TARGET, '0+10x30'),
        calls('success', other, '0+95x30'),
        calls('ThrottlingException', other, '0+5x30'),
      ],
      at: 20,
      fires: [AT],
    },
  ],
  [
    '50 AccessDenied in 10 minutes fires; 10 do not',
    {
      alert: 'EksAuthAccessDeniedSpike',
      series: [
        calls('AccessDeniedException', TARGET, '0+5x20'),
        calls('AccessDeniedException', other, '0+1x20'),
      ],
      at: 15,
      fires: [AT],
    },
  ],
  [
    'the IPv4 listener unbound fires; an absent IPv6 address does not',
    {
      alert: 'EksPodIdentityAgentListenerDown',
      series: [
        ok('pod_identity_listener_up', { ...TARGET, host: '169.254.170.23' }, '0x10'),
        ok('pod_identity_listener_up', { ...other, host: '169.254.170.23' }, '1x10'),
        ok('pod_identity_listener_up', { ...other, host: 'fd00:ec2::23' }, '0x10'),
      ],
      at: 8,
      fires: [{ ...TARGET, host: '169.254.170.23' }],
    },
  ],
  [
    'one subject mismatch fires for its agent; an agent without any does not',
    {
      alert: 'EksAuthSubjectMismatch',
      series: [
        ok('pod_identity_upstream_subject_mismatch_total', TARGET, '0 0 1 1 1'),
        ok('pod_identity_upstream_subject_mismatch_total', other, '0x4'),
      ],
      at: 4,
      fires: [AT],
    },
  ],
  [
    '800 ms of lag for 15 minutes fires; 50 ms does not',
    {
      alert: 'EksPodIdentityAgentEventLoopLag',
      series: [
        ok('pod_identity_event_loop_lag_seconds', TARGET, '0.8x20'),
        ok('pod_identity_event_loop_lag_seconds', other, '0.05x20'),
      ],
      at: 16,
      fires: [TARGET],
    },
  ],
  [
    '95% of the memory limit fires; 50% does not',
    {
      alert: 'EksPodIdentityAgentMemoryNearLimit',
      series: [
        ok('process_resident_memory_bytes', TARGET, `${Math.round(0.95 * 384 * 1024 * 1024)}x30`),
        ok('process_resident_memory_bytes', other, `${192 * 1024 * 1024}x30`),
        limit(TARGET.pod),
        limit(other.pod),
      ],
      at: 15,
      fires: [{ namespace: TARGET.namespace, pod: TARGET.pod, instance: TARGET.instance, node: TARGET.node }],
    },
  ],
];

describe.skipIf(!PROMTOOL)('PrometheusRule alerts under promtool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pod-identity-rules-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const rulesFile = join(dir, 'rules.json');
  // promtool reads the rule groups of the PrometheusRule's spec; JSON is YAML.
  writeFileSync(rulesFile, JSON.stringify({ groups: ruleDoc.spec.groups }));

  function promtool(args: string[]) {
    const run = Bun.spawnSync([PROMTOOL!, ...args], { stdout: 'pipe', stderr: 'pipe' });
    return { exitCode: run.exitCode, output: `${run.stdout.toString()}${run.stderr.toString()}` };
  }

  test('a PrometheusRule whose rules `promtool check rules` accepts', () => {
    expect(ruleDoc.kind).toBe('PrometheusRule');
    const r = promtool(['check', 'rules', rulesFile]);
    expect(r.output).toContain(`SUCCESS: ${RULES.length} rules found`);
    expect(r.exitCode).toBe(0);
  });

  test('every alert has a case below', () => {
    expect(RULES.map((r) => r.alert).sort()).toEqual(CASES.map(([, c]) => c.alert).sort());
  });

  test.each(CASES)('%s', (_name, c) => {
    const rule = RULES.find((r) => r.alert === c.alert)!;
    const testFile = join(dir, `${c.alert}.test.json`);
    const expected = c.fires.map((labels) => {
      const all = { ...labels, ...rule.labels, alertname: c.alert };
      return { exp_labels: { ...labels, ...rule.labels }, exp_annotations: annotationsFor(c.alert, all) };
    });
    const tests = [
      {
        interval: '1m',
        input_series: c.series,
        alert_rule_test: [{ eval_time: `${c.at}m`, alertname: c.alert, exp_alerts: expected }],
      },
    ];
    // The same series checked before the condition has lasted its `for`: nothing may fire yet.
    const forMinutes = rule.for ? Number(rule.for.replace('m', '')) : 0;
    if (forMinutes > 0) {
      tests.push({
        interval: '1m',
        input_series: c.series,
        alert_rule_test: [
          { eval_time: `${Math.min(forMinutes - 1, c.at - 1)}m`, alertname: c.alert, exp_alerts: [] },
        ],
      });
    }
    writeFileSync(testFile, JSON.stringify({ rule_files: [rulesFile], evaluation_interval: '1m', tests }));
    const r = promtool(['test', 'rules', testFile]);
    expect(r.output).toContain('SUCCESS');
    expect(r.exitCode).toBe(0);
  });

  test('promtool fails a case whose expectation is wrong (so the cases above can fail)', () => {
    const [, c] = CASES[0]!;
    const testFile = join(dir, 'wrong.test.json');
    const tests = [
      {
        interval: '1m',
        input_series: c.series,
        alert_rule_test: [{ eval_time: `${c.at}m`, alertname: c.alert, exp_alerts: [] }],
      },
    ];
    writeFileSync(testFile, JSON.stringify({ rule_files: [rulesFile], evaluation_interval: '1m', tests }));
    const r = promtool(['test', 'rules', testFile]);
    expect(r.exitCode).not.toBe(0);
    expect(r.output).toContain('FAILED');
  });
});
