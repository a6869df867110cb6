// Process metrics that are true under Bun: CPU, resident memory, JS heap, start time, file descriptors,
// event-loop lag. Our own collectors rather than prom-client's collectDefaultMetrics: on Bun 1.4.5 that
// one reports V8 heap spaces that JavaScriptCore does not have (nearly all zero), a Node version Bun only
// imitates, and starts a perf_hooks histogram and GC observer per call that nothing can stop.
// Names follow the Prometheus client conventions so standard dashboards work.
import { readdirSync, readFileSync } from 'node:fs';
import type { EventLoopMonitor } from './event-loop-monitor.ts';
import { Counter, Gauge, type Registry } from './prom-client.ts';

export interface ProcessMetricsOptions {
  /** When given, exports pod_identity_event_loop_lag_seconds from it. */
  eventLoopMonitor?: EventLoopMonitor;
  /** Where file-descriptor facts come from; injectable so tests can cover a missing /proc. */
  procDir?: string;
}

/** Runs a reading and swallows failures: a scrape must never throw because /proc or a runtime API did. */
function safely(read: () => void): void {
  try {
    read();
  } catch {
    // Keep the previous value.
  }
}

export function readMaxFds(procDir = '/proc/self'): number | undefined {
  const line = readFileSync(`${procDir}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  const n = Number(soft);
  return Number.isFinite(n) ? n : undefined;
}

function canRead(read: () => unknown): boolean {
  try {
    return read() !== undefined;
  } catch {
    return false;
  }
}

type Registers = Registry[];

/**
 * CPU: counters advanced by the delta since their own previous scrape (process.cpuUsage is cumulative µs).
 * Each keeps its own baseline so any one of them can be collected alone and stay exact.
 */
function installCpuMetrics(registers: Registers, names: string[]): void {
  const cpuCounter = (name: string, help: string, pick: (u: NodeJS.CpuUsage) => number) => {
    let lastUs = 0;
    new Counter({
      name,
      help,
      registers,
      collect() {
        safely(() => {
          const nowUs = pick(process.cpuUsage());
          if (nowUs > lastUs) this.inc((nowUs - lastUs) / 1e6);
          lastUs = Math.max(lastUs, nowUs);
        });
      },
    });
  };
  cpuCounter('process_cpu_user_seconds_total', 'User CPU time spent, in seconds.', (u) => u.user);
  cpuCounter('process_cpu_system_seconds_total', 'System CPU time spent, in seconds.', (u) => u.system);
  cpuCounter(
    'process_cpu_seconds_total',
    'Total user and system CPU time spent, in seconds.',
    (u) => u.user + u.system,
  );
  names.push(
    'process_cpu_user_seconds_total',
    'process_cpu_system_seconds_total',
    'process_cpu_seconds_total',
  );
}

/** Start time, resident memory and the JS heap. */
function installMemoryMetrics(registers: Registers, names: string[]): void {
  const startTimeSeconds = Math.round(Date.now() / 1000 - process.uptime());
  new Gauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since unix epoch in seconds.',
    registers,
  }).set(startTimeSeconds);

  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    registers,
    collect() {
      safely(() => this.set(process.memoryUsage.rss()));
    },
  });
  new Gauge({
    name: 'nodejs_heap_size_total_bytes',
    help: 'JavaScript heap size in bytes (JavaScriptCore under Bun).',
    registers,
    collect() {
      safely(() => this.set(process.memoryUsage().heapTotal));
    },
  });
  new Gauge({
    name: 'nodejs_heap_size_used_bytes',
    help: 'JavaScript heap used in bytes (JavaScriptCore under Bun).',
    registers,
    collect() {
      safely(() => this.set(process.memoryUsage().heapUsed));
    },
  });
  names.push(
    'process_start_time_seconds',
    'process_resident_memory_bytes',
    'nodejs_heap_size_total_bytes',
    'nodejs_heap_size_used_bytes',
  );
}

/** File descriptors exist only where /proc does (Linux); elsewhere the metrics are simply absent. */
function installFdMetrics(registers: Registers, names: string[], procDir: string): void {
  if (canRead(() => readdirSync(`${procDir}/fd`))) {
    new Gauge({
      name: 'process_open_fds',
      help: 'Number of open file descriptors.',
      registers,
      collect() {
        // The listing itself holds one descriptor open while it runs.
        safely(() => this.set(Math.max(0, readdirSync(`${procDir}/fd`).length - 1)));
      },
    });
    names.push('process_open_fds');
  }
  const maxFds = canRead(() => readMaxFds(procDir)) ? readMaxFds(procDir) : undefined;
  if (maxFds !== undefined) {
    new Gauge({ name: 'process_max_fds', help: 'Maximum number of open file descriptors.', registers }).set(
      maxFds,
    );
    names.push('process_max_fds');
  }
}

/** Registers the process metrics on `registry`. Returns the names it registered. */
export function installProcessMetrics(registry: Registry, options: ProcessMetricsOptions = {}): string[] {
  const registers = [registry];
  const names: string[] = [];
  installCpuMetrics(registers, names);
  installMemoryMetrics(registers, names);
  installFdMetrics(registers, names, options.procDir ?? '/proc/self');

  const monitor = options.eventLoopMonitor;
  if (monitor) {
    new Gauge({
      name: 'pod_identity_event_loop_lag_seconds',
      help: 'Largest event-loop lag seen since the previous scrape, in seconds.',
      registers,
      collect() {
        safely(() => this.set(monitor.takeMaxLagMs() / 1000));
      },
    });
    names.push('pod_identity_event_loop_lag_seconds');
  }
  return names;
}
