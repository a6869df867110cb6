// Event-loop responsiveness: the liveness signal. A process whose loop is stalled cannot serve, whatever
// EKS Auth is doing, so liveness is judged from this alone.
import { type Clock, systemClock } from '../clock.ts';
import type { ProbeResult } from './probe-result.ts';

/** Starts a repeating tick; returns a function that stops it. Injected so tests drive ticks by hand. */
export type TickScheduler = (tick: () => void, intervalMs: number) => () => void;

export interface EventLoopMonitorOptions {
  /** How often the loop is sampled. */
  intervalMs?: number;
  /** Lag beyond which the process is reported not live. */
  maxLagMs?: number;
  clock?: Clock;
  scheduler?: TickScheduler;
}

export const EVENT_LOOP_MONITOR_DEFAULTS = { intervalMs: 500, maxLagMs: 5_000 } as const;

export interface EventLoopMonitor {
  /** The current lag in ms: the last tick's lateness, or how overdue the next tick is, whichever is larger. */
  lagMs(): number;
  /** The largest lag seen since the last call (for a gauge that should not miss short stalls between scrapes). */
  takeMaxLagMs(): number;
  /** A liveness probe result. */
  check(): ProbeResult;
  stop(): void;
}

/** unref'd so the monitor (or any periodic housekeeping) never keeps a finished process alive. */
export const intervalScheduler: TickScheduler = (tick, intervalMs) => {
  const timer = setInterval(tick, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
};

export function createEventLoopMonitor(options: EventLoopMonitorOptions = {}): EventLoopMonitor {
  const intervalMs = options.intervalMs ?? EVENT_LOOP_MONITOR_DEFAULTS.intervalMs;
  const maxLagMs = options.maxLagMs ?? EVENT_LOOP_MONITOR_DEFAULTS.maxLagMs;
  if (!(intervalMs > 0) || !(maxLagMs > 0)) {
    throw new Error(
      `event loop monitor: intervalMs and maxLagMs must be positive (got ${intervalMs}, ${maxLagMs})`,
    );
  }
  const clock = options.clock ?? systemClock;
  const scheduler = options.scheduler ?? intervalScheduler;

  let lastTickMs = clock.monotonic();
  let lastLagMs = 0;
  let maxSeenMs = 0;

  const onTick = () => {
    const now = clock.monotonic();
    lastLagMs = Math.max(0, now - lastTickMs - intervalMs);
    lastTickMs = now;
    if (lastLagMs > maxSeenMs) maxSeenMs = lastLagMs;
  };
  const cancel = scheduler(onTick, intervalMs);

  // A stalled loop is seen by whoever runs first after it: if a probe request is handled before the
  // overdue tick, the overdue time itself is the lag.
  const lagMs = () => Math.max(lastLagMs, clock.monotonic() - lastTickMs - intervalMs, 0);

  return {
    lagMs,
    takeMaxLagMs() {
      const max = Math.max(maxSeenMs, lagMs());
      maxSeenMs = 0;
      return max;
    },
    check() {
      const lag = lagMs();
      const ok = lag <= maxLagMs;
      return { ok, detail: { eventLoopLagMs: Math.round(lag), maxEventLoopLagMs: maxLagMs } };
    },
    stop: cancel,
  };
}
