// Bounds EKS Auth attempts in flight. Excess callers wait in a bounded FIFO queue; beyond it they are refused
// at once with a retryable Overloaded error, so a burst of cache misses cannot grow memory or latency
// without limit.
import { AgentError } from '../errors.ts';

export interface ConcurrencyLimiterOptions {
  readonly maxConcurrency: number;
  readonly maxQueue: number;
}

export interface ConcurrencyLimiter {
  /** Resolves when a slot is free; the caller must call the returned release exactly once. */
  acquire(signal?: AbortSignal): Promise<() => void>;
  readonly inFlight: number;
  readonly queued: number;
}

interface Waiter {
  grant(): void;
}

export function createConcurrencyLimiter(options: ConcurrencyLimiterOptions): ConcurrencyLimiter {
  if (!(options.maxConcurrency >= 1)) throw new RangeError('maxConcurrency must be at least 1');
  let inFlight = 0;
  const queue: Waiter[] = [];

  const makeRelease = () => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = queue.shift();
      // Hand the slot straight to the next waiter: inFlight stays the same.
      if (next) next.grant();
      else inFlight--;
    };
  };

  return {
    get inFlight() {
      return inFlight;
    },
    get queued() {
      return queue.length;
    },
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (inFlight < options.maxConcurrency) {
        inFlight++;
        return Promise.resolve(makeRelease());
      }
      if (queue.length >= options.maxQueue) {
        return Promise.reject(
          new AgentError('Overloaded', `too many EKS Auth calls waiting (${queue.length} queued)`),
        );
      }
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
          reject(signal?.reason);
        };
        const waiter: Waiter = {
          grant() {
            signal?.removeEventListener('abort', onAbort);
            resolve(makeRelease());
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
      });
    },
  };
}
