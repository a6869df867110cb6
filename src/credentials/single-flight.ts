// One execution per key in flight; callers for the same key share its promise. The key is forgotten when the
// call settles, so errors are never cached. The work is never tied to any one caller: a caller that stops
// waiting does not cancel it (the public agent's "context canceled" failure).

export interface SingleFlight<T> {
  /** Runs `work` unless a call for `key` is in flight; `shared` says whether this caller joined one. */
  run(key: string, work: () => Promise<T>): { promise: Promise<T>; shared: boolean };
  /** Whether a call for `key` is in flight (joining it would start no work). */
  has(key: string): boolean;
  /** Resolves once no call is in flight (at once when none is). */
  idle(): Promise<void>;
  readonly size: number;
}

export interface SingleFlightOptions<T> {
  /**
   * When the work's value leads to more work the joiners share (a miss's token checks lead to its upstream
   * call), the key stays in flight until that settles too. Failures of the work itself forget it at once.
   */
  holdUntil?: (value: T) => Promise<unknown> | undefined;
}

export function createSingleFlight<T>(options: SingleFlightOptions<T> = {}): SingleFlight<T> {
  const inFlight = new Map<string, Promise<T>>();
  const { holdUntil } = options;
  let idleWaiters: (() => void)[] = [];
  function forget(key: string) {
    inFlight.delete(key);
    if (inFlight.size > 0 || idleWaiters.length === 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
  // Chosen once: without holdUntil the key is forgotten as the work settles, before any caller resumes.
  const start = holdUntil
    ? (key: string, work: () => Promise<T>) => {
        const done = () => forget(key);
        const promise = Promise.resolve().then(work);
        promise.then((value) => {
          const more = holdUntil(value);
          if (more) more.then(done, done);
          else done();
        }, done);
        return promise;
      }
    : (key: string, work: () => Promise<T>) =>
        Promise.resolve()
          .then(work)
          .finally(() => forget(key));
  return {
    run(key, work) {
      const existing = inFlight.get(key);
      if (existing) return { promise: existing, shared: true };
      const promise = start(key, work);
      inFlight.set(key, promise);
      return { promise, shared: false };
    },
    has: (key) => inFlight.has(key),
    idle: () =>
      inFlight.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)),
    get size() {
      return inFlight.size;
    },
  };
}
