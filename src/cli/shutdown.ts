// The one shutdown helper. Parts register their closers as they are built; a failed start and a stop run the
// same list (last built, first closed), so no caller writes its release list out by hand. A subcommand that
// serves until told to stop waits on stopSignal().

export type Closer = () => unknown;

export interface Closers {
  /** Registers what stops a part just built. */
  add(close: Closer): void;
  /**
   * Runs every closer once, the last registered first, each awaited before the next. Every closer runs even
   * when one throws; the first error is rethrown afterwards. Later calls return the same promise.
   */
  close(): Promise<void>;
}

export function createClosers(): Closers {
  const closers: Closer[] = [];
  let closing: Promise<void> | undefined;
  async function closeAll(): Promise<void> {
    let first: { error: unknown } | undefined;
    for (const close of [...closers].reverse()) {
      try {
        await close();
      } catch (error) {
        first ??= { error };
      }
    }
    if (first) throw first.error;
  }
  return {
    add(close) {
      if (closing) throw new Error('a closer was added after close()');
      closers.push(close);
    },
    close() {
      closing ??= closeAll();
      return closing;
    },
  };
}

export interface StopSignal {
  /** The name of the first SIGINT or SIGTERM received since stopSignal() was called. */
  readonly received: Promise<NodeJS.Signals>;
  /** Removes the handlers, so the default signal behaviour (exit) returns. */
  cancel(): void;
}

/**
 * Listens for SIGINT and SIGTERM from now on. Once one arrives both handlers are removed: a second signal
 * during the drain ends the process the default way, as an impatient operator expects.
 */
export function stopSignal(): StopSignal {
  let cancel = () => {};
  const received = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      cancel();
      resolve(signal);
    };
    cancel = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return { received, cancel };
}
