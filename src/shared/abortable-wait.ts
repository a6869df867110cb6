// A wait that ends early when any of the given signals aborts: a retry's backoff, the startup-taint remover's
// pauses, the emulator's injected latency and 'hang' outages. Shutdown (or a client giving up) must end it,
// never leave a timer keeping a stopping process alive.
import { systemTimers, type Timers } from '../clock.ts';

/**
 * Resolves after ms (never, when ms is undefined) or as soon as a signal aborts; it resolves either way, so a
 * caller that must tell them apart looks at its signal.
 */
export function waitOrAbort(
  ms: number | undefined,
  signals: readonly AbortSignal[],
  timers: Timers = systemTimers,
): Promise<void> {
  if (signals.some((s) => s.aborted)) return Promise.resolve();
  return new Promise((resolve) => {
    let timer: unknown;
    const done = () => {
      if (timer !== undefined) timers.clearTimeout(timer);
      for (const s of signals) s.removeEventListener('abort', done);
      resolve();
    };
    for (const s of signals) s.addEventListener('abort', done, { once: true });
    if (ms !== undefined) timer = timers.setTimeout(done, ms);
  });
}
