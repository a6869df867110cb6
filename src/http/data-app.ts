// Everything on the data address that is not the hot path: JSON 404s and 405s. The public agent's readiness
// check requests `/` on the data address and expects 404, so `/` answers 404 too.
//
// A GET of exactly CREDENTIALS_PATH never gets here (Bun's native route takes it), so a GET that does is
// another spelling: percent-encoded (`/v1/%63redentials`), with dot segments (`/v1/x/../credentials`, which
// Bun resolves before this sees it), doubled slashes. Those are 404 (the path every SDK sends is exact),
// never 405 "GET is not allowed" and never served under a second name.
import { Hono } from 'hono';
import { AgentError, errorResponse } from '../errors.ts';
import { AGENT_HEADERS } from './port-sharing.ts';

export const CREDENTIALS_PATH = '/v1/credentials';

export function createDataApp(): Hono {
  const app = new Hono();
  app.all(CREDENTIALS_PATH, (c, next) => {
    if (c.req.method === 'GET') return next();
    return errorResponse(new AgentError('MethodNotAllowed', `${c.req.method} is not allowed; use GET`), {
      allow: 'GET, HEAD',
      ...AGENT_HEADERS,
    });
  });
  // AGENT_HEADERS tell a second instance starting on the same node that this port is ours to share.
  app.notFound(() =>
    errorResponse(
      new AgentError('NotFound', `not found; credentials are served at ${CREDENTIALS_PATH}`),
      AGENT_HEADERS,
    ),
  );
  app.onError((err) => errorResponse(err));
  return app;
}
