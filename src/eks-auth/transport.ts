// One HTTP exchange with EKS Auth over Bun's fetch: explicit proxy choice, a per-attempt deadline covering
// connect, request and reading the body, and a bounded body read (an error answer's bound is far smaller): whole
// when the answer is framed by a Content-Length within the bound, neither content-coded nor chunked, else
// through the stream.
//
// Why no separate connect timeout: Bun's fetch has no connect-phase hook (its `timeout` option is a coarse
// idle timer that also fires while the server thinks). node:http in Bun does emit the socket 'connect'
// event, but it ignores HTTPS_PROXY, so it would need our own CONNECT tunnelling and TLS over it. fetch
// gives proxies, NO_PROXY, TLS and a keep-alive pool (a connect happens once per pooled connection), so
// the connect phase is bounded by the attempt's requestTimeoutMs instead.
import type { Timers } from '../clock.ts';
import { AgentError } from '../errors.ts';
import { declaresMoreThan, framedWithin, readBounded } from '../shared/bounded-read.ts';
import { startCallDeadline } from '../shared/call-deadline.ts';
import { classifyTransportFailure, MAX_ERROR_BODY_BYTES } from './classify-error.ts';

export interface AttemptRequest {
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Proxy URL, or undefined to connect directly (environment variables are never consulted here). */
  readonly proxy: string | undefined;
  /** TLS options for the connection to EKS Auth (through a proxy too): the CA bundle, when one is set. */
  readonly tls?: { readonly ca: string } | undefined;
  readonly requestTimeoutMs: number;
  readonly maxResponseBytes: number;
  /** Shutdown only. */
  readonly signal: AbortSignal | undefined;
  /** The fetch to use and the timers for the attempt's deadline; defaults: the runtime's (a simulator injects virtual ones). */
  readonly fetch?: FetchLike | undefined;
  readonly timers?: Timers | undefined;
  /**
   * Waited for once the answer's headers are in (or the fetch failed), before anything else is done with it:
   * answers that arrive together (Bun delivers them in one batch) are worked one per event-loop turn
   * (turn-queue.ts). A body over its bound is cancelled first, so the HTTP client stops reading it at once.
   */
  readonly nextTurn?: (() => Promise<void>) | undefined;
}

export type FetchLike = (url: URL, init: RequestInit & { proxy?: unknown }) => Promise<Response>;

export interface AttemptResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The body as UTF-8; empty when it was over its bound (nothing reads a cut body). */
  readonly bodyText: string;
  /**
   * True when the body was over its bound: maxResponseBytes, or for a non-2xx answer MAX_ERROR_BODY_BYTES
   * when smaller. It was read no further than the bound (not at all when Content-Length said so) and cancelled.
   */
  readonly truncated: boolean;
}

/**
 * The TLS options of every attempt: the CA bundle only where a TLS connection is made, to an https endpoint or
 * an https proxy. Bun's fetch converts and interns `tls.ca` on each call whether it makes a TLS connection or
 * not: a 220 KB bundle (AWS_CA_BUNDLE pointing at a system bundle) cost ~0.1 ms of main thread per fetch() in
 * a microbench and ~0.23 ms per failed call in bench/hostile-upstream.bench.ts, against ~0.01 ms without it.
 */
export function tlsOptions(
  url: URL,
  proxy: string | undefined,
  caPem: string | undefined,
): { readonly ca: string } | undefined {
  if (caPem === undefined) return undefined;
  const tlsSomewhere = url.protocol === 'https:' || (proxy !== undefined && !/^http:\/\//i.test(proxy));
  return tlsSomewhere ? { ca: caPem } : undefined;
}

/** The most of an answer with this status that is read: error answers are short (MAX_ERROR_BODY_BYTES). */
export function bodyBoundBytes(status: number, maxResponseBytes: number): number {
  return status >= 200 && status <= 299 ? maxResponseBytes : Math.min(maxResponseBytes, MAX_ERROR_BODY_BYTES);
}

export function shuttingDown(cause: unknown): AgentError {
  return new AgentError('ShuttingDown', 'EKS Auth call cancelled: the agent is shutting down', { cause });
}

export async function sendAttempt(request: AttemptRequest): Promise<AttemptResponse> {
  const parent = request.signal;
  const deadline = startCallDeadline(request.requestTimeoutMs, parent, request.timers);
  let turnTaken = false;
  const takeTurn = () => {
    turnTaken = true;
    return request.nextTurn?.();
  };
  try {
    const response = await (request.fetch ?? fetch)(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: deadline.signal,
      redirect: 'manual',
      proxy: request.proxy === undefined ? false : { url: request.proxy, respectNoProxy: false },
      ...(request.tls === undefined ? {} : { tls: request.tls }),
    });
    const { status, headers } = response;
    const maxBytes = bodyBoundBytes(status, request.maxResponseBytes);
    if (declaresMoreThan(headers, maxBytes)) {
      await response.body?.cancel().catch(() => {});
      await takeTurn();
      return { status, headers, bodyText: '', truncated: true };
    }
    await takeTurn();
    // An answer framed by its length within the bound (every EKS Auth answer) is read whole: the stream reader's
    // machinery, which a first miss would otherwise page in, costs a node 0.4-0.7 MB (README, footprint (9)).
    if (framedWithin(headers, maxBytes)) {
      // Decoded as the stream path decodes (a leading BOM kept, as U+FEFF; response.text() would drop it).
      const bodyText = Buffer.from(await response.arrayBuffer()).toString('utf8');
      return { status, headers, bodyText, truncated: false };
    }
    const { bytes, truncated } = await readBounded(response.body, maxBytes);
    return { status, headers, bodyText: truncated ? '' : bytes.toString('utf8'), truncated };
  } catch (err) {
    if (!turnTaken) await takeTurn();
    if (parent?.aborted) throw shuttingDown(err);
    throw classifyTransportFailure(err, deadline.timedOut, request.requestTimeoutMs);
  } finally {
    deadline.dispose();
  }
}
