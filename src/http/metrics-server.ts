// The metrics listener (/metrics plus the probes, as the public agent serves them on 0.0.0.0:2705) and the
// probe-only listener (localhost:2703). Both on Bun.serve; port 0 picks a free port (tests).
import { lstatSync, rmSync, unlinkSync } from 'node:fs';
import { Hono } from 'hono';
import type { ProbeChecks } from '../observability/probe-result.ts';
import type { Registry } from '../observability/prom-client.ts';
import { hostPort } from '../shared/host-port.ts';
import { LISTENER_LIMITS, MAX_REQUEST_BODY_BYTES } from './listener-limits.ts';
import { bindShared } from './port-sharing.ts';
import { createProbeApp } from './probes.ts';

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:2705 (IPv6 hosts in brackets). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface MetricsServerOptions {
  hostname: string;
  port: number;
  registry: Registry;
  probes: ProbeChecks;
}

export interface ProbeServerOptions {
  /** Default localhost: kubelet probes reach it on the host network; nothing else needs to. */
  hostname?: string;
  port: number;
  probes: ProbeChecks;
}

export const PROBE_SERVER_DEFAULTS = { hostname: 'localhost' } as const;

async function listen(kind: string, hostname: string, port: number, app: Hono): Promise<RunningServer> {
  let server: ReturnType<typeof Bun.serve>;
  try {
    // Shared only with another instance of this agent (a surge rollout); any other holder is an error.
    server = await bindShared(hostname, port, (reusePort, bindPort) =>
      Bun.serve({
        hostname,
        port: bindPort,
        fetch: app.fetch,
        ...LISTENER_LIMITS,
        reusePort,
      }),
    );
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`${kind} server cannot listen on ${hostPort(hostname, port)}: ${reason}`, {
      cause: err,
    });
  }
  const boundPort = server.port ?? port;
  return {
    url: `http://${hostPort(hostname, boundPort)}`,
    port: boundPort,
    async stop() {
      await server.stop(true);
    },
  };
}

/** The /metrics handler; the metrics listener mounts it beside the probes. */
function createMetricsApp(registry: Registry): Hono {
  const app = new Hono();
  app.get('/metrics', async function metrics() {
    try {
      const body = await registry.metrics();
      return new Response(body, { headers: { 'content-type': registry.contentType } });
    } catch {
      // A collector failing must not take the endpoint down with an unhandled error; say so plainly.
      return new Response('metrics collection failed\n', {
        status: 500,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
    }
  });
  return app;
}

export function startMetricsServer(options: MetricsServerOptions): Promise<RunningServer> {
  // The probe app carries the JSON not-found handler; /metrics joins it.
  const app = createProbeApp(options.probes);
  app.route('/', createMetricsApp(options.registry));
  return listen('metrics', options.hostname, options.port, app);
}

/**
 * Probes on a Unix socket: unlike the shared probe port, only this process answers there, so a rollout's new
 * pod is judged by its own agent (`eks-pod-identity-agent probe`, the startup probe). A stale socket file left
 * by an earlier container of the same pod is replaced; anything else at the path is an error.
 */
export function startProbeSocket(options: { path: string; probes: ProbeChecks }): RunningServer {
  const { path } = options;
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
  }
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      unix: path,
      fetch: createProbeApp(options.probes).fetch,
      // A Unix-socket server takes no idleTimeout.
      maxRequestBodySize: MAX_REQUEST_BODY_BYTES,
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`probe socket cannot listen on ${path}: ${reason}`, { cause: err });
  }
  return {
    url: `unix:${path}`,
    port: 0,
    async stop() {
      await server.stop(true);
      rmSync(path, { force: true });
    },
  };
}

export function startProbeServer(options: ProbeServerOptions): Promise<RunningServer> {
  const hostname = options.hostname ?? PROBE_SERVER_DEFAULTS.hostname;
  return listen('probe', hostname, options.port, createProbeApp(options.probes));
}
