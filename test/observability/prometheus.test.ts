// A real Prometheus scrapes a running metrics server on loopback; its query API must return a value set
// here, and every dashboard expression must evaluate without error. Needs the `prometheus` binary
// (Debian/Ubuntu package `prometheus`); CI installs it.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startMetricsServer } from '../../src/http/metrics-server.ts';
import { dashboardExprs, loadDashboard, substituteGrafanaVariables } from './dashboard-exprs.ts';
import { createTouchedMetrics } from './touched-metrics.ts';

const PROMETHEUS = Bun.which('prometheus');
if (!PROMETHEUS) {
  console.warn(
    '\n*** SKIPPING Prometheus tests: `prometheus` not found. Install it: apt-get install -y prometheus ***\n',
  );
}

const WAIT_FOR_SAMPLE_MS = 40_000;

/** A port free right now: bind 0, read it, release it. Prometheus cannot take port 0 and report it back. */
function freePort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

interface QueryResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

async function query(base: string, promql: string): Promise<QueryResult> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  return (await res.json()) as QueryResult;
}

describe.skipIf(!PROMETHEUS)('real Prometheus scraping the metrics server', () => {
  let server: RunningServer;
  let prometheus: ReturnType<typeof Bun.spawn> | undefined;
  let promBase = '';
  let dir = '';
  let stderr = '';

  beforeAll(async () => {
    const { metrics } = createTouchedMetrics();
    server = await startMetricsServer({
      hostname: '127.0.0.1',
      port: 0,
      registry: metrics.registry,
      probes: { liveness: () => ({ ok: true }), readiness: () => ({ ok: true }) },
    });
    dir = mkdtempSync(join(tmpdir(), 'pod-identity-prom-'));
    const configPath = join(dir, 'prometheus.yml');
    writeFileSync(
      configPath,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: pod-identity-agent',
        `    static_configs: [{ targets: ['127.0.0.1:${server.port}'] }]`,
        '',
      ].join('\n'),
    );
    // A freshly freed port can be taken by someone else before Prometheus binds it: try a few.
    for (let attempt = 0; attempt < 3 && !promBase; attempt++) {
      const port = freePort();
      const proc = Bun.spawn(
        [
          PROMETHEUS!,
          `--config.file=${configPath}`,
          `--storage.tsdb.path=${join(dir, `data-${attempt}`)}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--log.level=warn',
        ],
        { stdout: 'ignore', stderr: 'pipe' },
      );
      const base = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && proc.exitCode === null) {
        const ready = await fetch(`${base}/-/ready`).then(
          (r) => r.ok,
          () => false,
        );
        if (ready) {
          prometheus = proc;
          promBase = base;
          break;
        }
        await Bun.sleep(100);
      }
      if (!promBase) {
        proc.kill('SIGKILL');
        await proc.exited;
        stderr = await new Response(proc.stderr as ReadableStream).text();
      }
    }
  }, 60_000);

  afterAll(async () => {
    if (prometheus) {
      prometheus.kill('SIGTERM');
      const exited = await Promise.race([
        prometheus.exited.then(() => true),
        Bun.sleep(5_000).then(() => false),
      ]);
      if (!exited) prometheus.kill('SIGKILL');
    }
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('Prometheus started', () => {
    if (!promBase) console.error(stderr);
    expect(promBase).not.toBe('');
  });

  test(
    'a scraped value comes back through the query API',
    async () => {
      expect(promBase).not.toBe('');
      const deadline = Date.now() + WAIT_FOR_SAMPLE_MS;
      let last: QueryResult | undefined;
      while (Date.now() < deadline) {
        last = await query(promBase, 'pod_identity_cache_entries');
        if (last.data?.result.length) break;
        await Bun.sleep(250);
      }
      expect(last?.status).toBe('success');
      expect(last?.data?.result).toHaveLength(1);
      const [series] = last!.data!.result;
      expect(series!.value[1]).toBe('42');
      expect(series!.metric).toMatchObject({
        job: 'pod-identity-agent',
        instance: `127.0.0.1:${server.port}`,
      });

      const up = await query(promBase, 'up{job="pod-identity-agent"}');
      expect(up.data?.result[0]?.value[1]).toBe('1');
      const ok = await query(promBase, 'pod_identity_http_response{code="200"}');
      expect(ok.data?.result[0]?.value[1]).toBe('5');
    },
    WAIT_FOR_SAMPLE_MS + 5_000,
  );

  test('every dashboard expression is valid PromQL that Prometheus evaluates', async () => {
    expect(promBase).not.toBe('');
    const exprs = dashboardExprs(loadDashboard());
    expect(exprs.length).toBeGreaterThan(15);
    const failures: string[] = [];
    for (const expr of exprs) {
      const result = await query(promBase, substituteGrafanaVariables(expr));
      if (result.status !== 'success') failures.push(`${expr}: ${result.error}`);
    }
    expect(failures).toEqual([]);
    // And Prometheus rejects a broken one, so the loop above can fail.
    expect((await query(promBase, 'sum by (code (rate(x[1m]))')).status).toBe('error');
  });
});
