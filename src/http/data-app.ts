// The data address's one Hono app: every path and method, the credentials hot path included, routes here.
// GET (and HEAD) /v1/credentials goes straight to the credentials handler: no middleware, and the handler's
// result (a Response on a cache hit, a Promise only on the slow path) is returned as is, so a hit stays
// synchronous. Any other method on the path is 405; any other path 404, `/` included (the public agent's
// readiness check requests `/` on the data address and expects 404).
//
// Only the exact request target is served. Bun resolves dot segments (`/v1/x/../credentials`, `%2e%2e`) before
// building request.url, so the app cannot tell them from the exact path by the URL: the listener says which
// one arrived (DataEnv.exactTarget, from a Bun route on the raw target; listeners.ts). Another spelling of the
// path (dot segments, percent-encoded `/v1/%63redentials`, which Hono decodes) is 404, never 405 "GET is not
// allowed" and never served under a second name: the path every SDK sends is exact.
import type { Server } from 'bun';
import { Hono } from 'hono';
import { AgentError, errorResponse } from '../errors.ts';
import type { CredentialsHandler } from './credentials-handler.ts';
import { AGENT_HEADERS } from './port-sharing.ts';

export const CREDENTIALS_PATH = '/v1/credentials';

/** What the listener passes with each request: built once per listener, never per request. */
export interface DataEnv {
  readonly server: Server<undefined>;
  /** Whether the raw request target was exactly CREDENTIALS_PATH (plus a query), before Bun resolved it. */
  readonly exactTarget: boolean;
}

export type DataApp = Hono<{ Bindings: DataEnv }>;

const METHOD_NOT_ALLOWED_HEADERS = { allow: 'GET, HEAD', ...AGENT_HEADERS } as const;

export function createDataApp(credentials: CredentialsHandler): DataApp {
  const app: DataApp = new Hono();
  // One handler for every method, so a GET matches exactly one route and Hono calls it without composing.
  app.all(CREDENTIALS_PATH, function credentialsRoute(c) {
    const req = c.req.raw;
    const method = req.method;
    if (method === 'GET' || method === 'HEAD') {
      if (c.env.exactTarget) return credentials(req, c.env.server);
      return notFound();
    }
    return errorResponse(
      new AgentError('MethodNotAllowed', `${method} is not allowed; use GET`),
      METHOD_NOT_ALLOWED_HEADERS,
    );
  });
  app.notFound(notFound);
  app.onError((err) => errorResponse(err));
  return app;
}

// AGENT_HEADERS tell a second instance starting on the same node that this port is ours to share.
function notFound(): Response {
  return errorResponse(
    new AgentError('NotFound', `not found; credentials are served at ${CREDENTIALS_PATH}`),
    AGENT_HEADERS,
  );
}
