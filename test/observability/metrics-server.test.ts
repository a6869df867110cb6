// The metrics and probe listeners over real HTTP on loopback: /metrics content, probes on both ports,
// port 0, bind errors that name host:port, and stop() releasing the port.
import { afterEach, describe, expect, test } from 'bun:test';
import { Registry } from 'prom-client';
import { type RunningServer, startMetricsServer, startProbeServer } from '../../src/http/metrics-server.ts';
import type { ProbeChecks } from '../../src/observability/probe-result.ts';
import { createTouchedMetrics } from './touched-metrics.ts';

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

const probes = (ready: () => boolean): ProbeChecks => ({
  liveness: () => ({ ok: true, detail: { eventLoopLagMs: 0 } }),
  readiness: () => ({ ok: ready(), detail: { cache: 'warm' } }),
});

describe('metrics server', () => {
  test('serves /metrics in the Prometheus text format with the registry content type', async () => {
    const { metrics } = createTouchedMetrics();
    const server = await startMetricsServer({
      hostname: '127.0.0.1',
      port: 0,
      registry: metrics.registry,
      probes: probes(() => true),
    });
    running.push(server);
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);

    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(metrics.registry.contentType);
    const text = await res.text();
    expect(text).toContain('# TYPE pod_identity_http_response counter');
    expect(text).toContain('pod_identity_http_response{code="200"} 5');
    expect(text).toContain('pod_identity_cache_entries 42');
    expect(text).toContain('process_resident_memory_bytes ');
  });

  test('serves both probes too, with 503 bodies when not ready', async () => {
    let ready = false;
    const server = await startMetricsServer({
      hostname: '127.0.0.1',
      port: 0,
      registry: new Registry(),
      probes: probes(() => ready),
    });
    running.push(server);
    const healthz = await fetch(`${server.url}/healthz`);
    expect(healthz.status).toBe(200);
    expect(await healthz.json()).toEqual({ status: 'ok', eventLoopLagMs: 0 });
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'failing', cache: 'warm' });
    ready = true;
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const missing = await fetch(`${server.url}/v1/credentials`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('NotFound');
  });

  test('a collector that throws at scrape time is a 500 with a plain message, and the server keeps serving', async () => {
    const registry = new Registry();
    const { Gauge } = await import('prom-client');
    new Gauge({
      name: 'broken_gauge',
      help: 'throws',
      registers: [registry],
      collect() {
        throw new Error('collector failed');
      },
    });
    const server = await startMetricsServer({
      hostname: '127.0.0.1',
      port: 0,
      registry,
      probes: probes(() => true),
    });
    running.push(server);
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('metrics collection failed\n');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  test('a port held by another program is a clear error naming host:port; stop() frees the port', async () => {
    const other = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      reusePort: false,
      fetch: () => new Response('x'),
    });
    await expect(
      startMetricsServer({
        hostname: '127.0.0.1',
        port: other.port!,
        registry: new Registry(),
        probes: probes(() => true),
      }),
    ).rejects.toThrow(`metrics server cannot listen on 127.0.0.1:${other.port}`);
    const port = other.port!;
    await other.stop(true);
    const again = await startProbeServer({ hostname: '127.0.0.1', port, probes: probes(() => true) });
    running.push(again);
    expect((await fetch(`${again.url}/healthz`)).status).toBe(200);
  });

  test('a second instance of this agent shares the port (rolling update with surge); either answers', async () => {
    const first = await startMetricsServer({
      hostname: '127.0.0.1',
      port: 0,
      registry: new Registry(),
      probes: probes(() => true),
    });
    const second = await startMetricsServer({
      hostname: '127.0.0.1',
      port: first.port,
      registry: new Registry(),
      probes: probes(() => true),
    });
    running.push(second);
    expect(second.port).toBe(first.port);
    await first.stop();
    // The first one's socket is closed: the port is still served, by the second.
    expect((await fetch(`${second.url}/healthz`)).status).toBe(200);
  });
});

describe('probe server', () => {
  test('defaults to localhost, serves probes only (no /metrics)', async () => {
    const server = await startProbeServer({ port: 0, probes: probes(() => true) });
    running.push(server);
    expect(server.url).toBe(`http://localhost:${server.port}`);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
  });

  test('an unbindable address is a clear error naming it', async () => {
    // 192.0.2.1 (TEST-NET-1) is never a local address.
    await expect(
      startProbeServer({ hostname: '192.0.2.1', port: 0, probes: probes(() => true) }),
    ).rejects.toThrow('probe server cannot listen on 192.0.2.1:0');
  });
});
