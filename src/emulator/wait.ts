// A wait that ends early when any of the given signals aborts: injected latency and 'hang' outages must
// end when the client gives up or the emulator stops, never keep a stopped emulator's process alive.

/** Resolves after ms (never, when ms is undefined) or as soon as a signal aborts. */
export function waitOrAbort(ms: number | undefined, signals: readonly AbortSignal[]): Promise<void> {
  if (signals.some((s) => s.aborted)) return Promise.resolve();
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      if (timer !== undefined) clearTimeout(timer);
      for (const s of signals) s.removeEventListener('abort', done);
      resolve();
    };
    for (const s of signals) s.addEventListener('abort', done, { once: true });
    if (ms !== undefined) timer = setTimeout(done, ms);
  });
}
