// A small authenticated client of the Kubernetes API server, for the agent's own calls (the signing keys at
// /openid/v1/jwks; node updates). In a pod it finds the API server the way client-go's in-cluster config
// does: KUBERNETES_SERVICE_HOST/PORT, the mounted service-account token, the cluster CA.
//
// The token file is re-read on every request: the kubelet rotates projected tokens in place, and these calls
// are rare (hourly key refreshes), so a stale token is never sent. The CA is re-read too (CA rotation).
// Bodies are bounded, every call has a deadline, and no error message carries the token.
// About 230 lines: the in-cluster settings, the per-call token and CA reads and the bounded call are one
// client's steps, kept together so nothing that touches the token lives elsewhere.
import { sanitizeUpstreamMessage } from '../eks-auth/sanitize-message.ts';
import { readBoundedText } from '../shared/bounded-read.ts';
import { fsPromises, nodePath } from '../shared/builtins.ts';
import { startCallDeadline } from '../shared/call-deadline.ts';
import { hostPort } from '../shared/host-port.ts';

/** Where the kubelet mounts a pod's service-account token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
export const KUBE_API_DEFAULTS = { timeoutMs: 5_000, maxResponseBytes: 1024 * 1024 } as const;
/** Longest Status message kept on an error (it names the object and the user, never a credential). */
export const MAX_KUBE_MESSAGE_CHARS = 256;
/** A Retry-After beyond this is cut to it: the caller's own backoff takes over. */
export const MAX_RETRY_AFTER_MS = 60_000;
/** A projected token is ~1 KB; a larger file is not a token. */
const MAX_TOKEN_FILE_BYTES = 16 * 1024;

export interface KubeApiEndpoint {
  /** e.g. https://10.100.0.1:443 */
  readonly baseUrl: string;
  readonly tokenFile: string;
  readonly caFile: string;
}

/**
 * The in-cluster API server, from the environment Kubernetes gives every pod; undefined outside a cluster.
 * Throws TypeError when the variables are present but malformed.
 */
export function inClusterEndpoint(
  env: Record<string, string | undefined>,
  serviceAccountDir: string = SERVICE_ACCOUNT_DIR,
): KubeApiEndpoint | undefined {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) return undefined;
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65_535) {
    throw new TypeError(`KUBERNETES_SERVICE_PORT is not a port number`);
  }
  if (host.length > 253 || !/^[A-Za-z0-9.:-]+$/.test(host)) {
    throw new TypeError('KUBERNETES_SERVICE_HOST is not a host name or address');
  }
  return {
    baseUrl: `https://${hostPort(host, port)}`,
    tokenFile: nodePath().join(serviceAccountDir, 'token'),
    caFile: nodePath().join(serviceAccountDir, 'ca.crt'),
  };
}

export type KubeApiFailure =
  | 'credentials'
  | 'unreachable'
  | 'timeout'
  | 'cancelled'
  | 'http'
  | 'malformed'
  | 'too-large';

/** A failed API call. The message names the path and what went wrong, never the token. */
export class KubeApiError extends Error {
  readonly failure: KubeApiFailure;
  readonly status: number | undefined;
  /** The Status object's reason (Conflict, Forbidden, TooManyRequests, ...), when the server sent one. */
  readonly reason: string | undefined;
  /** The Status object's message, cut and cleaned (e.g. which user cannot patch which node). */
  readonly detail: string | undefined;
  /** The server's Retry-After (429, some 5xx), bounded by MAX_RETRY_AFTER_MS. */
  readonly retryAfterMs: number | undefined;
  constructor(failure: KubeApiFailure, message: string, options: KubeApiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KubeApiError';
    this.failure = failure;
    this.status = options.status;
    this.reason = options.reason;
    this.detail = options.detail;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export interface KubeApiErrorOptions {
  status?: number;
  reason?: string;
  detail?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

/** Retry-After as the API server sends it: whole seconds (an HTTP date is accepted too). */
export function parseRetryAfterMs(value: string | null, nowMs = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim().slice(0, 64);
  const ms = /^\d{1,6}$/.test(text) ? Number(text) * 1000 : Date.parse(text) - nowMs;
  return Number.isNaN(ms) ? undefined : Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

/** The reason and message of a v1 Status body, when the body is one. */
function readStatus(text: string): { reason?: string; detail?: string } {
  let status: { kind?: unknown; reason?: unknown; message?: unknown };
  try {
    status = JSON.parse(text) as typeof status;
  } catch {
    return {};
  }
  if (typeof status !== 'object' || status === null) return {};
  const reason =
    typeof status.reason === 'string' && /^[A-Za-z]{1,64}$/.test(status.reason) ? status.reason : undefined;
  // Cut first, so the sanitiser's patterns run on bounded input.
  const detail =
    status.kind === 'Status' && typeof status.message === 'string' && status.message !== ''
      ? sanitizeUpstreamMessage(status.message.slice(0, MAX_KUBE_MESSAGE_CHARS * 4), MAX_KUBE_MESSAGE_CHARS)
      : undefined;
  return { reason, detail };
}

export interface KubeRequestOptions {
  readonly method?: string;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Default application/json; e.g. application/merge-patch+json for a PATCH. */
  readonly contentType?: string;
  readonly timeoutMs?: number;
  /** Cancels the call (agent shutdown). */
  readonly signal?: AbortSignal;
}

export interface KubeApiClient {
  readonly baseUrl: string;
  /** Calls `path` and returns the parsed JSON of a 2xx answer; anything else throws KubeApiError. */
  requestJson(path: string, options?: KubeRequestOptions): Promise<unknown>;
}

export interface KubeApiClientOptions {
  readonly endpoint: KubeApiEndpoint;
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
}

async function readSmallFile(path: string, what: string): Promise<string> {
  let bytes: Buffer;
  try {
    const { readFile } = fsPromises();
    bytes = await readFile(path);
  } catch (err) {
    throw new KubeApiError('credentials', `${what} is unreadable`, { cause: err });
  }
  if (bytes.byteLength > MAX_TOKEN_FILE_BYTES * 4)
    throw new KubeApiError('credentials', `${what} is too large`);
  return bytes.toString('utf8');
}

async function readToken(path: string): Promise<string> {
  const token = (await readSmallFile(path, 'service-account token file')).trim();
  // A header value with a line break or a huge value would be refused by fetch, or worse, smuggle a header.
  if (token.length === 0 || token.length > MAX_TOKEN_FILE_BYTES || !/^[\x21-\x7e]+$/.test(token)) {
    throw new KubeApiError('credentials', 'service-account token file does not hold a token');
  }
  return token;
}

export function createKubeApiClient(options: KubeApiClientOptions): KubeApiClient {
  const { endpoint } = options;
  const defaultTimeoutMs = options.timeoutMs ?? KUBE_API_DEFAULTS.timeoutMs;
  const maxResponseBytes = options.maxResponseBytes ?? KUBE_API_DEFAULTS.maxResponseBytes;

  return {
    baseUrl: endpoint.baseUrl,
    async requestJson(path, request = {}) {
      const what = `Kubernetes API ${path}`;
      const [token, ca] = await Promise.all([
        readToken(endpoint.tokenFile),
        readSmallFile(endpoint.caFile, 'cluster CA file'),
      ]);
      const timeoutMs = request.timeoutMs ?? defaultTimeoutMs;
      const parent = request.signal;
      const deadline = startCallDeadline(timeoutMs, parent);
      let response: Response;
      let text: string;
      try {
        response = await fetch(endpoint.baseUrl + path, {
          method: request.method ?? 'GET',
          headers: {
            accept: 'application/json',
            authorization: `Bearer ${token}`,
            ...(request.body === undefined
              ? {}
              : { 'content-type': request.contentType ?? 'application/json' }),
          },
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          signal: deadline.signal,
          // The cluster CA only: the API server's certificate is not in the public trust store.
          tls: { ca },
          redirect: 'error',
        });
        text = await readBoundedText(response, maxResponseBytes, () => {
          throw new KubeApiError('too-large', `${what} answered more than ${maxResponseBytes} bytes`);
        });
      } catch (err) {
        if (err instanceof KubeApiError) throw err;
        if (parent?.aborted) throw new KubeApiError('cancelled', `${what} cancelled`, { cause: err });
        throw new KubeApiError(
          deadline.timedOut ? 'timeout' : 'unreachable',
          deadline.timedOut ? `${what} timed out after ${timeoutMs} ms` : `${what} is unreachable`,
          { cause: err },
        );
      } finally {
        deadline.dispose();
      }
      if (response.status < 200 || response.status > 299) {
        // The API server's Status object names the reason (Unauthorized, Forbidden, NotFound): safe to show.
        const { reason, detail } = readStatus(text);
        throw new KubeApiError(
          'http',
          `${what} answered HTTP ${response.status}${reason ? ` (${reason})` : ''}`,
          {
            status: response.status,
            reason,
            detail,
            retryAfterMs: parseRetryAfterMs(response.headers.get('retry-after')),
          },
        );
      }
      try {
        return JSON.parse(text);
      } catch (err) {
        throw new KubeApiError('malformed', `${what} answered invalid JSON`, { cause: err });
      }
    },
  };
}
