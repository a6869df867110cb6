// The engine behind the SDK client models: one attempt loop with an SDK's connect/read/total timeouts, its
// attempt count, delays and retried outcomes, as written in /work/shared/facts/sdk-clients.md. Each model file
// is named after the SDK source file it re-creates and holds only that SDK's numbers and rules.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';

/** What one attempt ended with: an HTTP status, or a failure before a status arrived. */
export type AttemptResult =
  | { kind: 'status'; status: number; body: string }
  | { kind: 'timeout'; phase: 'connect' | 'read' | 'total' }
  | { kind: 'network'; message: string };

export interface ClientModel {
  /** Row label, e.g. "Java v2 (model)". */
  name: string;
  /** The SDK source files this model follows. */
  source: string;
  connectTimeoutMs: number;
  /** Idle time waiting for the response; Infinity when the SDK sets none. */
  readTimeoutMs: number;
  /** A bound on the whole attempt (PHP's Guzzle `timeout`); Infinity when none. */
  totalTimeoutMs: number;
  attempts: number;
  /** The sleep before each retry (index 0: before the second attempt); with `jitter`, the most it sleeps. */
  delaysMs: readonly number[];
  /** Each delay is a uniform random fraction of its `delaysMs` entry. */
  jitter: boolean;
  /** Whether this outcome is retried (when attempts remain). */
  retries(result: AttemptResult): boolean;
  /** What of the agent's error reaches the caller (see `surfaced`). */
  surfaces: 'code' | 'status' | 'nothing';
  /** The error text the SDK surfaces for a failed final attempt. */
  surfaced(result: AttemptResult): string;
}

/** How long one attempt can wait for its answer (Infinity with no read timeout); connecting to a node-local
 * agent takes no measurable time. */
export function attemptMs(model: ClientModel): number {
  return Math.min(model.totalTimeoutMs, model.readTimeoutMs);
}

function delayMs(model: ClientModel, retry: number, random: () => number): number {
  const max = model.delaysMs[retry - 1] ?? 0;
  return model.jitter ? random() * max : max;
}

/** Reads the error body's `message`/`Message` when it is JSON (what Java's HttpResourcesUtils does). */
export function jsonMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const message = parsed['message'] ?? parsed['Message'];
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

export function describe(result: AttemptResult): string {
  if (result.kind === 'status') return `HTTP ${result.status}`;
  if (result.kind === 'timeout') return `${result.phase} timeout`;
  return `network error: ${result.message}`;
}

/** When one attempt started, connected (its read timeout armed) and ended, in epoch ms (the matrix's --trace). */
export interface AttemptTrace {
  startMs: number;
  connectMs?: number;
  endMs: number;
  result: string;
}

const epochMs = () => performance.timeOrigin + performance.now();

/** One GET with the model's timeouts, from the pod's own source address when given; never throws. */
export function attempt(
  model: ClientModel,
  url: URL,
  token: string,
  localAddress?: string,
  trace?: (t: AttemptTrace) => void,
): Promise<AttemptResult> {
  const startMs = trace ? epochMs() : 0;
  let connectMs: number | undefined;
  return new Promise((resolve) => {
    let settled = false;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      trace?.({ startMs, connectMs, endMs: epochMs(), result: describe(result) });
      for (const t of timers) clearTimeout(t);
      req.destroy();
      resolve(result);
    };
    const arm = (ms: number, phase: 'connect' | 'read' | 'total') => {
      if (Number.isFinite(ms)) timers.push(setTimeout(() => finish({ kind: 'timeout', phase }), ms));
    };
    const req = request(url, {
      method: 'GET',
      headers: { Authorization: token, Accept: 'application/json' },
      ...(localAddress && { localAddress }),
    });
    arm(model.totalTimeoutMs, 'total');
    req.on('socket', (socket) => {
      // A kept-alive socket from the pool is connected already: only the read timeout applies.
      if (!socket.connecting) {
        if (trace) connectMs = epochMs();
        return arm(model.readTimeoutMs, 'read');
      }
      const connectTimer = setTimeout(
        () => finish({ kind: 'timeout', phase: 'connect' }),
        model.connectTimeoutMs,
      );
      timers.push(connectTimer);
      socket.once('connect', () => {
        if (trace) connectMs = epochMs();
        clearTimeout(connectTimer);
        arm(model.readTimeoutMs, 'read');
      });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 4096) body += chunk;
      });
      res.on('end', () => finish({ kind: 'status', status: res.statusCode ?? 0, body }));
      res.on('error', (err) => finish({ kind: 'network', message: err.message }));
    });
    req.on('error', (err) => finish({ kind: 'network', message: err.message }));
    req.end();
  });
}

/** A whole credential load: re-reads the token file on each attempt, as every SDK does. */
export async function loadCredentials(
  model: ClientModel,
  url: string,
  tokenFile: string,
  {
    random = Math.random,
    sleep = Bun.sleep,
    localAddress,
    trace,
  }: {
    random?: () => number;
    sleep?: (ms: number) => Promise<void>;
    localAddress?: string;
    trace?: (t: AttemptTrace) => void;
  } = {},
): Promise<void> {
  const target = new URL(url);
  let last: AttemptResult | undefined;
  for (let i = 0; i < model.attempts; i++) {
    if (i > 0) await sleep(delayMs(model, i, random));
    last = await attempt(model, target, readFileSync(tokenFile, 'utf8').trim(), localAddress, trace);
    if (last.kind === 'status' && last.status === 200) {
      const creds = JSON.parse(last.body) as Record<string, unknown>;
      if (typeof creds['AccessKeyId'] !== 'string' || typeof creds['Expiration'] !== 'string') {
        throw new Error('response is not container credentials');
      }
      return;
    }
    if (!model.retries(last)) break;
  }
  throw new Error(model.surfaced(last!));
}
