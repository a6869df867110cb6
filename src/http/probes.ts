// Health probes: GET /healthz (liveness) and /readyz (readiness), served on the probe port and the metrics
// port. 200 {"status":"ok",...detail} or 503 {"status":"failing",...detail}, always JSON.
import { Hono } from 'hono';
import { AgentError, errorResponse } from '../errors.ts';
import type { ProbeChecks, ProbeResult } from '../observability/probe-result.ts';
import { raceTimer } from '../shared/race-timer.ts';
import { AGENT_HEADERS } from './port-sharing.ts';

export type { ProbeChecks, ProbeResult };

export interface ProbeAppOptions extends ProbeChecks {
  /** Bound on an asynchronous readiness check; a check that takes longer is reported failing. */
  readinessTimeoutMs?: number;
}

export const PROBE_APP_DEFAULTS = { readinessTimeoutMs: 2_000 } as const;

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

/** Builds a probe body; "status" always comes first and is never overridden by detail. */
export function probeResponse(result: ProbeResult): Response {
  const status = result.ok ? 'ok' : 'failing';
  let body: string;
  try {
    body = JSON.stringify(Object.assign({ status }, result.detail, { status }));
  } catch {
    // Detail that cannot be serialised (a cycle, a BigInt) must not turn a probe into a 500.
    body = JSON.stringify({ status, error: 'probe detail not serialisable' });
  }
  return new Response(body, { status: result.ok ? 200 : 503, headers: JSON_HEADERS });
}

function failing(error: string): ProbeResult {
  return { ok: false, detail: { error } };
}

async function runBounded(check: ProbeChecks['readiness'], timeoutMs: number): Promise<ProbeResult> {
  try {
    return await raceTimer(Promise.resolve().then(check), timeoutMs, () =>
      failing(`readiness check timed out after ${timeoutMs} ms`),
    );
  } catch {
    // The check's own message could carry anything; report a fixed text.
    return failing('readiness check failed');
  }
}

export function createProbeApp(options: ProbeAppOptions): Hono {
  const readinessTimeoutMs = options.readinessTimeoutMs ?? PROBE_APP_DEFAULTS.readinessTimeoutMs;
  const { liveness, readiness } = options;
  const app = new Hono();

  app.get('/healthz', function healthz() {
    let result: ProbeResult;
    try {
      result = liveness();
    } catch {
      result = failing('liveness check failed');
    }
    return probeResponse(result);
  });

  app.get('/readyz', async function readyz() {
    return probeResponse(await runBounded(readiness, readinessTimeoutMs));
  });

  // AGENT_HEADERS: a second instance of this agent may share this port (port-sharing.ts).
  app.notFound(() => errorResponse(new AgentError('NotFound', 'not found'), AGENT_HEADERS));
  app.onError(() => errorResponse(new AgentError('InternalError', 'internal error')));
  return app;
}
