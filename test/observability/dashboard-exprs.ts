// Test helper: the PromQL expressions of dashboards/pod-identity-agent.json and the metric names they use.
import { readFileSync } from 'node:fs';

export const DASHBOARD_PATH = new URL('../../dashboards/pod-identity-agent.json', import.meta.url).pathname;

interface Panel {
  type: string;
  title: string;
  id: number;
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; datasource?: { uid: string } }>;
  panels?: Panel[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: unknown; definition?: string }> };
}

export function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;
}

export function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export function dashboardExprs(dashboard: Dashboard): string[] {
  return allPanels(dashboard).flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

/** Grafana variables replaced by values Prometheus accepts, for evaluating the expressions directly. */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$instance', '.*')
    .replaceAll('$cluster', '.*')
    .replaceAll('$node', '.*');
}

const PROMQL_WORDS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'by',
  'without',
  'rate',
  'irate',
  'increase',
  'histogram_quantile',
  'clamp_min',
  'clamp_max',
  'label_values',
  'and',
  'or',
  'unless',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'topk',
  'bottomk',
  'delta',
  'deriv',
  'time',
  'vector',
  'scalar',
  'abs',
  'offset',
  'bool',
]);

/**
 * Metric names used by an expression: identifiers left after removing label matchers, quoted strings,
 * ranges, grouping clauses and PromQL's own words. Deliberately simple; the dashboard uses plain PromQL.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/label_values\(([^,({]*(?:\{[^}]*\})?)(,[^)]*)?\)/g, ' $1 ')
    .replace(/\b\d+(\.\d+)?(e[+-]?\d+)?\b/gi, ' ')
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    if (!PROMQL_WORDS.has(m[0])) names.add(m[0]);
  }
  return [...names];
}
