// A stand-in for the Kubernetes API server, for local mode, tests and benches: HTTPS with a certificate
// from a CA it makes at start, bearer-token authentication against the emulator's own issuer (tokens for the
// API server's audience, as automounted service-account tokens are), Status objects for failures, and the
// routes listed below. Faults make it fail the way a real API server does during an outage.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../clock.ts';
import { waitOrAbort } from '../../shared/abortable-wait.ts';
import { hostPort } from '../../shared/host-port.ts';
import type { TokenIssuer } from '../token-issuer.ts';
import { createTestCertificateAuthority } from './certificates.ts';
import { createAuthenticator, routeRequest } from './dispatch.ts';
import { createNodesRoutes, type NodesApi } from './nodes-routes.ts';
import { openidRoutes } from './openid-routes.ts';
import type { KubeCaller, KubeRoute } from './routes.ts';
import { statusResponse } from './status.ts';

/** The audience of tokens the API server accepts (its default --api-audiences). */
export const KUBE_API_AUDIENCE = 'https://kubernetes.default.svc';

export interface KubeApiFaults {
  /** 'unavailable': every request 503; 'hang': no answer until the client gives up or the stand-in stops. */
  outage?: false | 'unavailable' | 'hang';
  /** Real-time delay before every answer. */
  latencyMs?: number;
  /** Every authenticated request 403 Forbidden, as when RBAC does not grant the path. */
  forbidden?: boolean;
}

export interface KubeApiStats {
  /** Every request, answered or not. */
  requests: number;
  /** Requests per route path pattern's first literal, e.g. "/openid/v1/jwks". */
  byPath: Record<string, number>;
  unauthorized: number;
}

export interface KubeApiStandIn {
  /** e.g. https://127.0.0.1:PORT */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** PEM of the CA that signed the server certificate (the pod's ca.crt). */
  readonly caPem: string;
  /** GET/PATCH /api/v1/nodes/{name}: the node store, scripted faults, a hook and the request log. */
  readonly nodes: NodesApi;
  /** A service-account token the stand-in accepts (audience KUBE_API_AUDIENCE). */
  issueBearerToken(namespace: string, serviceAccount: string, ttlSeconds?: number): string;
  /** Writes `token`, `ca.crt` and `namespace` as the kubelet mounts them; returns the directory. */
  writeServiceAccountDir(dir: string, namespace: string, serviceAccount: string): string;
  setFaults(faults: KubeApiFaults): void;
  resetFaults(): void;
  stats(): KubeApiStats;
  resetStats(): void;
  stop(): Promise<void>;
}

export interface KubeApiStandInOptions {
  issuer: TokenIssuer;
  clock: Clock;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Extra routes (besides issuer discovery). */
  routes?: readonly KubeRoute[];
}

/** Held requests at most, so a 'hang' fault cannot hold unbounded memory. */
const MAX_HELD = 1024;

/** What the request handler reads and counts; the stand-in's setters replace its fields. */
interface StandInState {
  faults: KubeApiFaults;
  stats: KubeApiStats;
  held: number;
}

async function handle(
  state: StandInState,
  request: Request,
  authenticate: (request: Request) => KubeCaller | Response,
  routes: readonly KubeRoute[],
  stopSignal: AbortSignal,
): Promise<Response> {
  state.stats.requests++;
  const path = new URL(request.url).pathname;
  state.stats.byPath[path] = (state.stats.byPath[path] ?? 0) + 1;
  if (state.faults.latencyMs) await waitOrAbort(state.faults.latencyMs, [request.signal, stopSignal]);
  if (state.faults.outage === 'hang' && state.held < MAX_HELD) {
    state.held++;
    await waitOrAbort(undefined, [request.signal, stopSignal]).finally(() => state.held--);
  }
  if (state.faults.outage)
    return statusResponse('ServiceUnavailable', 'the server is currently unable to handle the request');
  const caller = authenticate(request);
  if (caller instanceof Response) return caller;
  return routeRequest(routes, request, path, caller, state.faults.forbidden);
}

/** Writes `files` into `dir` write-then-rename, as the kubelet swaps its ..data link: a reader never sees half a file. */
function writeAtomically(dir: string, files: readonly [string, string][]): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [name, content] of files) {
    writeFileSync(join(dir, `.${name}.tmp`), content, { mode: 0o600 });
    renameSync(join(dir, `.${name}.tmp`), join(dir, name));
  }
  return dir;
}

export async function startKubeApiStandIn(options: KubeApiStandInOptions): Promise<KubeApiStandIn> {
  const { issuer, clock } = options;
  const host = options.host ?? '127.0.0.1';
  const ca = createTestCertificateAuthority();
  const names = host === '127.0.0.1' || host === 'localhost' ? ['localhost', '127.0.0.1', '::1'] : [host];
  const serverCert = ca.issueServerCertificate(names);
  const nodesRoutes = createNodesRoutes();
  const routes: readonly KubeRoute[] = [
    ...openidRoutes(issuer),
    ...nodesRoutes.routes,
    ...(options.routes ?? []),
  ];
  const state: StandInState = { faults: {}, stats: { requests: 0, byPath: {}, unauthorized: 0 }, held: 0 };
  const authenticate = createAuthenticator(issuer, KUBE_API_AUDIENCE, clock, () => {
    state.stats.unauthorized++;
  });
  const stopController = new AbortController();

  const server = Bun.serve({
    hostname: host,
    port: options.port ?? 0,
    development: false,
    reusePort: false,
    tls: { cert: serverCert.certPem, key: serverCert.keyPem },
    fetch: (request) =>
      handle(state, request, authenticate, routes, stopController.signal).catch(() =>
        statusResponse('ServiceUnavailable', 'request aborted'),
      ),
  });
  const port = server.port ?? 0;
  const url = `https://${hostPort(host, port)}`;

  const issueBearerToken = (namespace: string, serviceAccount: string, ttlSeconds = 3607) =>
    issuer.issue({ namespace, serviceAccount, audience: KUBE_API_AUDIENCE, ttlSeconds });

  let stopped: Promise<void> | undefined;
  return {
    url,
    host,
    port,
    caPem: ca.certPem,
    nodes: nodesRoutes.nodes,
    issueBearerToken,
    writeServiceAccountDir: (dir, namespace, serviceAccount) =>
      writeAtomically(dir, [
        ['ca.crt', ca.certPem],
        ['namespace', namespace],
        ['token', issueBearerToken(namespace, serviceAccount)],
      ]),
    setFaults(f) {
      state.faults = { ...f };
    },
    resetFaults() {
      state.faults = {};
    },
    stats: () => ({ ...state.stats, byPath: { ...state.stats.byPath } }),
    resetStats() {
      state.stats = { requests: 0, byPath: {}, unauthorized: 0 };
    },
    stop() {
      stopped ??= (async () => {
        stopController.abort();
        await server.stop(true);
      })();
      return stopped;
    },
  };
}
