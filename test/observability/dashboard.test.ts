// The Grafana dashboard: valid model with a Prometheus datasource variable, and every metric it queries
// exists in a real /metrics scrape (so a renamed metric breaks this test, not a dashboard in production).
import { describe, expect, test } from 'bun:test';
import { createMetrics } from '../../src/observability/metrics.ts';
import { allPanels, dashboardExprs, loadDashboard, metricNames } from './dashboard-exprs.ts';
import { createTouchedMetrics, familyNames, sampleNames } from './touched-metrics.ts';

const dashboard = loadDashboard();
/** Grafana's variable reference, spelled out so it is not read as a template literal. */
const DATASOURCE_UID = '$' + '{datasource}';

describe('grafana dashboard', () => {
  test('has a Prometheus datasource variable that every panel and query uses', () => {
    const ds = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(ds).toMatchObject({ name: 'datasource', query: 'prometheus' });
    const panels = allPanels(dashboard).filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThanOrEqual(15);
    for (const p of panels) {
      expect(p.datasource).toEqual({ type: 'prometheus', uid: DATASOURCE_UID });
      expect(p.targets?.length).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource?.uid).toBe(DATASOURCE_UID);
    }
    const ids = allPanels(dashboard).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.uid).toBe('eks-pod-identity-agent');
  });

  test('the metric-name extractor finds names and ignores labels, functions and variables', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, outcome) (rate(a_bucket{instance=~"$instance",x="by"}[$__rate_interval]))) / clamp_min(b, 1e-9)',
      ).sort(),
    ).toEqual(['a_bucket', 'b']);
  });

  // Series the health panels read from Prometheus itself (up) and kube-state-metrics, not from the agent.
  const NOT_OURS = new Set([
    'up',
    'kube_daemonset_status_number_available',
    'kube_daemonset_status_desired_number_scheduled',
    'kube_pod_container_resource_limits',
  ]);

  test("every metric in every expression exists in the /metrics output (or is Prometheus's or kube-state-metrics')", async () => {
    const { metrics } = createTouchedMetrics();
    const exposed = sampleNames(await metrics.registry.metrics());
    const used = new Set(dashboardExprs(dashboard).flatMap(metricNames));
    for (const v of dashboard.templating.list)
      if (v.definition) for (const n of metricNames(v.definition)) used.add(n);
    expect(used.size).toBeGreaterThan(15);
    const missing = [...used].filter((n) => !exposed.has(n) && !NOT_OURS.has(n));
    expect(missing).toEqual([]);
  });

  test('every pod_identity_* family createMetrics() exports is on the dashboard', async () => {
    const families = familyNames(await createMetrics().registry.metrics());
    const used = dashboardExprs(dashboard).join('\n');
    const absent = [...families].filter((f) => !new RegExp(`\\b${f}(_bucket|_sum|_count)?\\b`).test(used));
    expect(absent).toEqual([]);
  });

  test('cluster and node variables, and the health views: agents up, DaemonSet availability, 5xx ratio, throttling', () => {
    expect(dashboard.templating.list.map((v) => v.name)).toEqual([
      'datasource',
      'cluster',
      'node',
      'instance',
    ]);
    const exprs = dashboardExprs(dashboard);
    for (const expr of exprs.filter((e) => e.includes('pod_identity_')))
      expect(expr).toContain('cluster=~"$cluster"');
    const has = (re: RegExp) => exprs.some((e) => re.test(e));
    expect(has(/^sum\(up\{/)).toBe(true);
    expect(has(/kube_daemonset_status_number_available/)).toBe(true);
    expect(has(/pod_identity_http_response\{code=~"5\.\."/)).toBe(true);
    expect(has(/result="ThrottlingException"/)).toBe(true);
    expect(has(/result="AccessDeniedException"/)).toBe(true);
  });

  test('covers the process: RSS and CPU', () => {
    const used = new Set(dashboardExprs(dashboard).flatMap(metricNames));
    expect(used.has('process_resident_memory_bytes')).toBe(true);
    expect(used.has('process_cpu_seconds_total')).toBe(true);
  });
});
