// GET /v1/credentials: the hot path. A cache hit is answered synchronously from the entry's serialised body:
// no await, no JSON work, no label lookups, no logging. Everything else goes to the async slow path.
import type { CredentialService } from '../credentials/credential-service.ts';
import { AgentError, errorResponse, toAgentError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { MAX_TOKEN_LENGTH } from '../request/token-claims.ts';
import type { HostCheck } from './host-check.ts';

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

export interface CredentialsHandlerOptions {
  service: CredentialService;
  hostCheck: HostCheck;
  metrics: Metrics;
  logger: Logger;
  /** Called when the agent is draining: new requests get a retryable 503. */
  isDraining?: () => boolean;
}

export type CredentialsHandler = (req: Request) => Response | Promise<Response>;

export function createCredentialsHandler(options: CredentialsHandlerOptions): CredentialsHandler {
  const { service, hostCheck, metrics, logger } = options;
  const { response200, durationHit, durationMiss, durationError } = metrics.hot;
  const isDraining = options.isDraining ?? (() => false);

  function fail(err: unknown, startedAt: number): Response {
    const e = toAgentError(err);
    if (e.code === 'InternalError')
      logger.error({ err: e.cause }, 'unexpected error answering a credentials request');
    else logger.debug({ code: e.code, status: e.status }, 'credentials request failed');
    metrics.httpResponse.labels(String(e.status)).inc();
    durationError.observe((performance.now() - startedAt) / 1000);
    return errorResponse(e);
  }

  async function slowPath(token: string, startedAt: number): Promise<Response> {
    metrics.requestsInFlight.inc();
    try {
      const entry = await service.resolve(token);
      response200.inc();
      durationMiss.observe((performance.now() - startedAt) / 1000);
      return new Response(entry.body, { headers: JSON_HEADERS });
    } catch (err) {
      return fail(err, startedAt);
    } finally {
      metrics.requestsInFlight.dec();
    }
  }

  return function credentialsHandler(req) {
    const startedAt = performance.now();
    const headers = req.headers;
    if (!hostCheck(headers.get('host'))) {
      return fail(
        new AgentError('InvalidHost', 'the Host header does not name an address this agent serves'),
        startedAt,
      );
    }
    const token = headers.get('authorization');
    if (!token) {
      return fail(
        new AgentError('MissingAuthorization', 'the Authorization header is missing or empty'),
        startedAt,
      );
    }
    if (token.length > MAX_TOKEN_LENGTH) {
      return fail(
        new AgentError('InvalidToken', `the token is longer than ${MAX_TOKEN_LENGTH} bytes`),
        startedAt,
      );
    }
    const entry = service.lookup(token);
    if (entry !== undefined) {
      response200.inc();
      durationHit.observe((performance.now() - startedAt) / 1000);
      return new Response(entry.body, { headers: JSON_HEADERS });
    }
    if (isDraining())
      return fail(new AgentError('ShuttingDown', 'the agent is shutting down; retry'), startedAt);
    return slowPath(token, startedAt);
  };
}
