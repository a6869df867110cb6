// `promtool check metrics` on the real /metrics output of a running metrics server in which every family
// has samples. Needs promtool (Debian/Ubuntu package `prometheus`); CI installs it.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type RunningServer, startMetricsServer } from '../../src/http/metrics-server.ts';
import { createTouchedMetrics } from './touched-metrics.ts';

const PROMTOOL = Bun.which('promtool');
if (!PROMTOOL) {
  console.warn(
    '\n*** SKIPPING promtool tests: `promtool` not found. Install it: apt-get install -y prometheus ***\n',
  );
}

/** The only findings we accept: the public agent's three counters keep their names without `_total`. */
const EXPECTED_FINDINGS = [
  'pod_identity_cache_errors counter metrics should have "_total" suffix',
  'pod_identity_cache_state counter metrics should have "_total" suffix',
  'pod_identity_http_response counter metrics should have "_total" suffix',
];

async function promtoolCheck(exposition: string): Promise<{ exitCode: number; findings: string[] }> {
  const proc = Bun.spawn([PROMTOOL!, 'check', 'metrics'], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
  proc.stdin.write(exposition);
  await proc.stdin.end();
  const [out, err, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  const findings = `${out}\n${err}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
  return { exitCode, findings };
}

describe.skipIf(!PROMTOOL)('promtool check metrics', () => {
  let server: RunningServer;
  let exposition: string;

  beforeAll(async () => {
    const { metrics } = createTouchedMetrics();
    server = await startMetricsServer({
      hostname: '127.0.0.1',
      port: 0,
      registry: metrics.registry,
      probes: { liveness: () => ({ ok: true }), readiness: () => ({ ok: true }) },
    });
    exposition = await (await fetch(`${server.url}/metrics`)).text();
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('reports nothing but the _total note on the three compatibility counters', async () => {
    expect(exposition).toContain('pod_identity_request_duration_seconds_bucket{le="0.0001",outcome="hit"}');
    const { findings } = await promtoolCheck(exposition);
    expect(findings).toEqual(EXPECTED_FINDINGS);
  });

  test('promtool does catch a problem when there is one (so the check above can fail)', async () => {
    const bad = `${exposition}# HELP bad_counter a counter without the suffix\n# TYPE bad_counter counter\nbad_counter 1\n`;
    const { exitCode, findings } = await promtoolCheck(bad);
    expect(exitCode).not.toBe(0);
    expect(findings).toContain('bad_counter counter metrics should have "_total" suffix');
  });
});
