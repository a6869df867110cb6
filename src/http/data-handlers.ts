// The Bun.serve handlers of one data listener: every request goes to the one data app (data-app.ts). The Bun
// route on the raw target only tells the app that the target was exactly CREDENTIALS_PATH (Bun resolves dot
// segments before it builds request.url). Each listener's two envs are built at its first request, never per
// request, so a hit allocates nothing here.
import type { Server } from 'bun';
import { CREDENTIALS_PATH, type DataApp, type DataEnv } from './data-app.ts';

type Handler = (req: Request, server: Server<undefined>) => Response | Promise<Response>;

export interface DataHandlers {
  routes: { [CREDENTIALS_PATH]: Handler };
  fetch: Handler;
  error: () => Response;
}

/** Same answer with `Connection: close`: only during the handover before a drain, never on the normal path. */
function closingEach(handler: Handler): Handler {
  return async (req, server) => {
    const res = await handler(req, server);
    const headers = new Headers(res.headers);
    headers.set('connection', 'close');
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  };
}

/** The handlers for Bun.serve (and server.reload); `closeEach`: every answer ends its connection. */
export function dataHandlers(app: DataApp, closeEach = false): DataHandlers {
  let exact: DataEnv | undefined;
  let other: DataEnv | undefined;
  const credentials: Handler = (req, server) => {
    exact ??= { server, exactTarget: true };
    return app.fetch(req, exact);
  };
  const fetch: Handler = (req, server) => {
    other ??= { server, exactTarget: false };
    return app.fetch(req, other);
  };
  if (!closeEach) {
    return {
      routes: { [CREDENTIALS_PATH]: credentials },
      fetch,
      error: () => new Response(null, { status: 500 }),
    };
  }
  return {
    routes: { [CREDENTIALS_PATH]: closingEach(credentials) },
    fetch: closingEach(fetch),
    error: () => new Response(null, { status: 500, headers: { connection: 'close' } }),
  };
}
