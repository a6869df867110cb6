// One execution per key in flight; callers for the same key share its promise. The key is forgotten when the
// call settles, so errors are never cached. The work is never tied to any one caller: a caller that stops
// waiting does not cancel it (the public agent's "context canceled" failure).

export interface SingleFlight<T> {
  /** Runs `work` unless a call for `key` is in flight; `shared` says whether this caller joined one. */
  run(key: string, work: () => Promise<T>): { promise: Promise<T>; shared: boolean };
  readonly size: number;
}

export function createSingleFlight<T>(): SingleFlight<T> {
  const inFlight = new Map<string, Promise<T>>();
  return {
    run(key, work) {
      const existing = inFlight.get(key);
      if (existing) return { promise: existing, shared: true };
      const promise = Promise.resolve()
        .then(work)
        .finally(() => {
          inFlight.delete(key);
        });
      inFlight.set(key, promise);
      return { promise, shared: false };
    },
    get size() {
      return inFlight.size;
    },
  };
}
