// Everything on the data address that is not the hot path: JSON 404s and 405s. The public agent's readiness
// check requests `/` on the data address and expects 404, so `/` answers 404 too.
import { Hono } from 'hono';
import { AgentError, errorResponse } from '../errors.ts';

export const CREDENTIALS_PATH = '/v1/credentials';

export function createDataApp(): Hono {
  const app = new Hono();
  app.all(CREDENTIALS_PATH, (c) =>
    errorResponse(new AgentError('MethodNotAllowed', `${c.req.method} is not allowed; use GET`), {
      allow: 'GET, HEAD',
    }),
  );
  app.notFound(() =>
    errorResponse(new AgentError('NotFound', `not found; credentials are served at ${CREDENTIALS_PATH}`)),
  );
  app.onError((err) => errorResponse(err));
  return app;
}
