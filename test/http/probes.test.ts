// Probe app (liveness/readiness bodies and statuses) and the event-loop monitor that drives liveness.
import { describe, expect, test } from 'bun:test';
import { createManualClock } from '../../src/clock.ts';
import { createProbeApp, probeResponse } from '../../src/http/probes.ts';
import { createEventLoopMonitor, type TickScheduler } from '../../src/observability/event-loop-monitor.ts';

/** A scheduler whose ticks run only when the test says so. */
function manualScheduler() {
  let tick: (() => void) | undefined;
  let stopped = false;
  const scheduler: TickScheduler = (fn) => {
    tick = fn;
    return () => {
      stopped = true;
    };
  };
  return {
    scheduler,
    tick: () => tick?.(),
    get stopped() {
      return stopped;
    },
  };
}

async function get(app: ReturnType<typeof createProbeApp>, path: string) {
  const res = await app.request(path);
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

/** A monitor sampling every 100 ms (live up to 1 s of lag) on a manual clock and hand-driven ticks. */
function monitorOnManualTime() {
  const clock = createManualClock();
  const s = manualScheduler();
  const monitor = createEventLoopMonitor({ intervalMs: 100, maxLagMs: 1_000, clock, scheduler: s.scheduler });
  return { clock, s, monitor };
}

describe('event loop monitor', () => {
  test('live while ticks arrive on time, failing when the loop stalls, live again after', () => {
    const { clock, s, monitor } = monitorOnManualTime();

    clock.advance(100);
    s.tick();
    expect(monitor.check()).toEqual({ ok: true, detail: { eventLoopLagMs: 0, maxEventLoopLagMs: 1_000 } });

    // Stall: no tick for 5 s. A probe handled before the overdue tick sees the overdue time as lag.
    clock.advance(5_000);
    const stalled = monitor.check();
    expect(stalled.ok).toBe(false);
    expect(stalled.detail?.eventLoopLagMs).toBe(4_900);

    // The late tick records the lag; the next on-time tick clears it.
    s.tick();
    expect(monitor.check().ok).toBe(false);
    clock.advance(100);
    s.tick();
    expect(monitor.check().ok).toBe(true);
    expect(monitor.lagMs()).toBe(0);
  });

  test('a wall-clock step is not lag: a 1 h backward or forward step leaves the process live', () => {
    const { clock, s, monitor } = monitorOnManualTime();
    clock.advance(100);
    s.tick();
    clock.set(clock.now() - 3_600_000);
    clock.advance(100);
    s.tick();
    expect(monitor.check().ok).toBe(true);
    expect(monitor.lagMs()).toBe(0);
  });

  test('takeMaxLagMs reports a short stall once, then resets', () => {
    const { clock, s, monitor } = monitorOnManualTime();
    clock.advance(400);
    s.tick(); // 300 ms late
    clock.advance(100);
    s.tick(); // on time
    expect(monitor.lagMs()).toBe(0);
    expect(monitor.takeMaxLagMs()).toBe(300);
    expect(monitor.takeMaxLagMs()).toBe(0);
  });

  test('stop cancels the schedule; bad options are rejected', () => {
    const s = manualScheduler();
    createEventLoopMonitor({ scheduler: s.scheduler }).stop();
    expect(s.stopped).toBe(true);
    expect(() => createEventLoopMonitor({ intervalMs: 0 })).toThrow(
      /intervalMs and maxLagMs must be positive/,
    );
    expect(() => createEventLoopMonitor({ maxLagMs: Number.NaN })).toThrow(/must be positive/);
  });

  test('a really blocked event loop is seen (real timers)', async () => {
    const monitor = createEventLoopMonitor({ intervalMs: 10, maxLagMs: 50 });
    try {
      // Busy-wait well past maxLagMs: the direction of this check cannot flake on a slow machine.
      const until = Date.now() + 300;
      while (Date.now() < until) {}
      const result = monitor.check();
      expect(result.ok).toBe(false);
      expect(result.detail?.eventLoopLagMs as number).toBeGreaterThan(50);
    } finally {
      monitor.stop();
    }
  });
});

describe('probe app', () => {
  test('healthz: 200 with detail from a live monitor, 503 when stalled', async () => {
    const { clock, monitor } = monitorOnManualTime();
    const app = createProbeApp({ liveness: monitor.check, readiness: () => ({ ok: true }) });

    expect(await get(app, '/healthz')).toEqual({
      status: 200,
      type: 'application/json',
      body: { status: 'ok', eventLoopLagMs: 0, maxEventLoopLagMs: 1_000 },
    });
    clock.advance(3_000);
    expect(await get(app, '/healthz')).toEqual({
      status: 503,
      type: 'application/json',
      body: { status: 'failing', eventLoopLagMs: 2_900, maxEventLoopLagMs: 1_000 },
    });
  });

  test('readyz: sync and async results with their detail; status cannot be overridden by detail', async () => {
    let ready = false;
    const app = createProbeApp({
      liveness: () => ({ ok: true }),
      readiness: async () => ({
        ok: ready,
        detail: { listeners: { '169.254.170.23': ready }, status: 'bogus' },
      }),
    });
    expect(await get(app, '/readyz')).toMatchObject({
      status: 503,
      body: { status: 'failing', listeners: { '169.254.170.23': false } },
    });
    ready = true;
    const ok = await get(app, '/readyz');
    expect(ok).toMatchObject({ status: 200, body: { status: 'ok', listeners: { '169.254.170.23': true } } });
    expect(Object.keys(ok.body)[0]).toBe('status');
  });

  test('a readiness check that throws or hangs is a 503 with a fixed message, never the thrown text', async () => {
    const throwing = createProbeApp({
      liveness: () => ({ ok: true }),
      readiness: () => {
        throw new Error('secret-ish detail eyJhbGciOi');
      },
    });
    const thrown = await get(throwing, '/readyz');
    expect(thrown).toEqual({
      status: 503,
      type: 'application/json',
      body: { status: 'failing', error: 'readiness check failed' },
    });

    const hanging = createProbeApp({
      liveness: () => ({ ok: true }),
      readiness: () => new Promise(() => {}),
      readinessTimeoutMs: 20,
    });
    expect(await get(hanging, '/readyz')).toEqual({
      status: 503,
      type: 'application/json',
      body: { status: 'failing', error: 'readiness check timed out after 20 ms' },
    });
  });

  test('liveness never awaits readiness: healthz answers while readiness hangs', async () => {
    let readinessCalls = 0;
    const app = createProbeApp({
      liveness: () => ({ ok: true }),
      readiness: () => {
        readinessCalls++;
        return new Promise(() => {});
      },
      readinessTimeoutMs: 60_000,
    });
    expect((await get(app, '/healthz')).status).toBe(200);
    expect(readinessCalls).toBe(0);
  });

  test('a throwing liveness check and unserialisable detail are 503/200 JSON, not 500', async () => {
    const app = createProbeApp({
      liveness: () => {
        throw new Error('boom');
      },
      readiness: () => ({ ok: true, detail: { n: 10n } }),
    });
    expect((await get(app, '/healthz')).body).toEqual({ status: 'failing', error: 'liveness check failed' });
    expect(await get(app, '/readyz')).toMatchObject({
      status: 200,
      body: { status: 'ok', error: 'probe detail not serialisable' },
    });
  });

  test('unknown paths are a JSON 404 in the agent error format', async () => {
    const app = createProbeApp({ liveness: () => ({ ok: true }), readiness: () => ({ ok: true }) });
    const res = await get(app, '/nope');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'NotFound', Code: 'NotFound' });
  });

  test('probeResponse sets no-store so proxies never cache a health answer', () => {
    expect(probeResponse({ ok: true }).headers.get('cache-control')).toBe('no-store');
  });
});
