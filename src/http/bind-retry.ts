// Binding again, in the background, the bind hosts that could not be bound at start (an IPv6 address that
// appears later: public agent issue #16). One pass at a time; the timer ends once every host is bound.
import type { Logger } from '../observability/logger.ts';

/** Tries `pending()` hosts every intervalMs until none is left; returns what stops it. */
export function retryInBackground(
  intervalMs: number,
  pending: () => string[],
  attempt: (host: string) => Promise<void>,
  logger: Logger,
): () => void {
  let retrying = false;
  const timer = setInterval(async () => {
    if (retrying) return;
    retrying = true;
    for (const host of pending()) {
      try {
        await attempt(host);
      } catch (err) {
        logger.warn({ host, err: (err as Error).message }, 'listener retry failed');
      }
    }
    retrying = false;
    if (pending().length === 0) clearInterval(timer);
  }, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
