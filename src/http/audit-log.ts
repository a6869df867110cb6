// --audit-log: one info line per credentials request (status, client, verified subject and pod, hit or miss,
// latency), never the token or the credentials. Chosen once at construction: without the flag the handler
// holds no sink, so the hot path never builds a record or looks up the client's address.
import type { Server } from 'bun';
import type { CredentialEntry } from '../credentials/entry.ts';
import type { Logger } from '../observability/logger.ts';

export type Outcome = 'hit' | 'miss' | 'error';

export type AuditSink = (
  req: Request,
  server: Server<undefined>,
  status: number,
  outcome: Outcome,
  startedAt: number,
  entry?: CredentialEntry,
) => void;

/** The request's source address, as the rate limit and the audit log name the client. */
export function clientAddress(req: Request, server: Server<undefined>): string {
  return server.requestIP(req)?.address ?? 'unknown';
}

/** The audit sink, or undefined when --audit-log is off. */
export function createAuditSink(logger: Logger, enabled: boolean): AuditSink | undefined {
  if (!enabled) return undefined;
  return (req, server, status, outcome, startedAt, entry) =>
    logger.info(
      {
        audit: true,
        status,
        client: clientAddress(req, server),
        subject: entry?.subject,
        pod: entry?.pod,
        cache: outcome,
        latencyMs: Math.round((performance.now() - startedAt) * 1000) / 1000,
      },
      'credentials request',
    );
}
