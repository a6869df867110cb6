// Process metrics under Bun, build info, and the fixture that touches every family of createMetrics().
import { describe, expect, test } from 'bun:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { setBuildInfo } from '../../src/observability/build-info.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { installProcessMetrics } from '../../src/observability/process-metrics.ts';
import { VERSION } from '../../src/version.ts';
import { createTouchedMetrics } from './touched-metrics.ts';

function sample(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`no sample for ${name}`);
  return Number(m[1]);
}

describe('process metrics', () => {
  test('report plausible values for this process on Linux', async () => {
    const registry = new Registry();
    const names = installProcessMetrics(registry);
    expect(names).toEqual(
      expect.arrayContaining([
        'process_resident_memory_bytes',
        'process_cpu_seconds_total',
        'process_open_fds',
      ]),
    );
    // Burn a little CPU so the counter has something to count.
    let x = 0;
    for (let i = 0; i < 2_000_000; i++) x += i % 7;
    expect(x).toBeGreaterThan(0);
    const text = await registry.metrics();

    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(1024 * 1024);
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    // Read separately (and equal to heapUsed under JavaScriptCore), so no ordering between the two.
    expect(sample(text, 'nodejs_heap_size_total_bytes')).toBeGreaterThan(0);
    const cpu = sample(text, 'process_cpu_seconds_total');
    expect(cpu).toBeGreaterThan(0);
    // Collected one after the other (user, system, total), so the total can only be ahead of the parts.
    const parts =
      sample(text, 'process_cpu_user_seconds_total') + sample(text, 'process_cpu_system_seconds_total');
    expect(cpu).toBeGreaterThanOrEqual(parts - 1e-9);
    const start = sample(text, 'process_start_time_seconds');
    expect(start).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    expect(start).toBeGreaterThan(Date.now() / 1000 - 24 * 3600);
    expect(sample(text, 'process_open_fds')).toBeGreaterThan(2);
    expect(sample(text, 'process_max_fds')).toBeGreaterThan(sample(text, 'process_open_fds'));

    // Counters only go up between scrapes.
    const again = await registry.metrics();
    expect(sample(again, 'process_cpu_seconds_total')).toBeGreaterThanOrEqual(cpu);
  });

  test('without /proc the fd metrics are absent and scraping still works', async () => {
    const registry = new Registry();
    const names = installProcessMetrics(registry, {
      procDir: join(mkdtempSync(join(tmpdir(), 'h5-proc-')), 'none'),
    });
    expect(names).not.toContain('process_open_fds');
    expect(names).not.toContain('process_max_fds');
    const text = await registry.metrics();
    expect(text).not.toContain('process_open_fds');
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  test('event-loop lag gauge reads the monitor', async () => {
    const { metrics } = createTouchedMetrics();
    const text = await metrics.registry.metrics();
    expect(sample(text, 'pod_identity_event_loop_lag_seconds')).toBeGreaterThanOrEqual(0);
  });
});

describe('build info', () => {
  test('one series with version and runtime; a second call replaces it', async () => {
    const metrics = createMetrics();
    const info = setBuildInfo(metrics);
    expect(info).toEqual({ version: VERSION, runtime: `bun ${Bun.version}` });
    setBuildInfo(metrics, { version: '9.9.9' });
    const text = await metrics.registry.metrics();
    const series = text.split('\n').filter((l) => l.startsWith('pod_identity_build_info{'));
    expect(series).toEqual([`pod_identity_build_info{version="9.9.9",runtime="bun ${Bun.version}"} 1`]);
  });
});

describe('touched-metrics fixture', () => {
  test('every family registered by createMetrics() and the process metrics has at least one sample', async () => {
    const { metrics } = createTouchedMetrics();
    const families = await metrics.registry.getMetricsAsJSON();
    const empty = families.filter((f) => f.values.length === 0).map((f) => f.name);
    // If this fails, a metric was added to createMetrics(): touch it in test/observability/touched-metrics.ts.
    expect(empty).toEqual([]);
    expect(families.length).toBeGreaterThan(20);
  });
});
