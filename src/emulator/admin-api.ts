// The emulator's admin API under /_emulator: tokens, stats, faults and associations, for tests and benches.
// Unauthenticated on purpose: it listens on loopback and exists to be driven by test code.
import { readBoundedBody } from '../shared/bounded-read.ts';
import type { CallTrace } from './call-trace.ts';
import type { FaultState } from './faults.ts';
import { InputError, parseAssociations, parseFaults, parseTokenRequest } from './input-validation.ts';
import { parseJsonBytes } from './json-bytes.ts';
import type { StatsRecorder } from './stats.ts';
import type { TokenIssuer } from './token-issuer.ts';
import type { Association } from './types.ts';

export const ADMIN_PREFIX = '/_emulator/';
/** Large enough for MAX_ASSOCIATIONS entries. */
export const MAX_ADMIN_BODY_BYTES = 512 * 1024;

export interface AdminApiOptions {
  issuer: TokenIssuer;
  stats: StatsRecorder;
  faults: FaultState;
  trace: CallTrace;
  /** Keeps the last explicit list so GET can show it (null = default mapping). */
  setAssociations: (list: Association[] | null) => void;
  getAssociations: () => Association[] | null;
}

type Route = Partial<Record<'GET' | 'POST' | 'PUT' | 'DELETE', (body: unknown) => unknown>>;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

function badRequest(message: string): Response {
  return json(400, { error: 'BadRequest', message });
}

export function createAdminApi(
  options: AdminApiOptions,
): (request: Request, path: string) => Promise<Response> {
  const { issuer, stats, faults } = options;
  const routes: Record<string, Route> = {
    tokens: { POST: (body) => ({ token: issuer.issue(parseTokenRequest(body)) }) },
    stats: {
      GET: () => stats.snapshot(),
      DELETE: () => {
        stats.reset();
        return stats.snapshot();
      },
    },
    // The call trace (call-trace.ts): POST starts it afresh, DELETE stops it, GET reads it.
    trace: {
      GET: () => options.trace.snapshot(),
      POST: () => {
        options.trace.start();
        return { on: true };
      },
      DELETE: () => {
        options.trace.stop();
        return { on: false };
      },
    },
    faults: {
      GET: () => faults.current(),
      PUT: (body) => {
        faults.set(parseFaults(body));
        return faults.current();
      },
      DELETE: () => {
        faults.reset();
        return faults.current();
      },
    },
    associations: {
      GET: () => ({ associations: options.getAssociations() }),
      PUT: (body) => {
        options.setAssociations(parseAssociations(body));
        return { associations: options.getAssociations() };
      },
      DELETE: () => {
        options.setAssociations(null);
        return { associations: null };
      },
    },
  };

  return async function handleAdmin(request, path) {
    const route = routes[path.slice(ADMIN_PREFIX.length)];
    if (!route || !Object.hasOwn(routes, path.slice(ADMIN_PREFIX.length))) {
      return json(404, { error: 'NotFound', message: `no admin endpoint ${path}` });
    }
    const handler = route[request.method as keyof Route];
    if (!handler) {
      const allow = Object.keys(route).join(', ');
      return json(405, { error: 'MethodNotAllowed', message: `${path} allows ${allow}` }, { allow });
    }
    let body: unknown;
    if (request.method === 'POST' || request.method === 'PUT') {
      const bytes = await readBoundedBody(request, MAX_ADMIN_BODY_BYTES);
      if (!bytes) return badRequest(`request body is larger than ${MAX_ADMIN_BODY_BYTES} bytes`);
      const parsed = parseJsonBytes(bytes);
      if (!parsed) return badRequest('request body is not valid JSON');
      body = parsed.value;
    }
    try {
      return json(200, handler(body));
    } catch (err) {
      if (err instanceof InputError) return badRequest(err.message);
      throw err;
    }
  };
}
