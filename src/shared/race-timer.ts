// Waiting for something with a time limit: the patience a miss is held for, a readiness check's bound, the
// shutdown drain's timeout. The timer is cleared whichever side wins, so a settled wait leaves nothing
// pending (no timer keeping the process or a fake clock busy).
import { systemTimers, type Timers } from '../clock.ts';

/**
 * Settles as `work` does, or with what `onTimeout` returns (or rejects with what it throws) once `ms` pass
 * first. `work` itself goes on either way: only the wait ends.
 */
export function raceTimer<T, U>(
  work: PromiseLike<T>,
  ms: number,
  onTimeout: () => U,
  timers: Timers = systemTimers,
): Promise<T | U> {
  return new Promise<T | U>((resolve, reject) => {
    const timer = timers.setTimeout(() => {
      try {
        resolve(onTimeout());
      } catch (err) {
        reject(err);
      }
    }, ms);
    work.then(
      (value) => {
        timers.clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        timers.clearTimeout(timer);
        reject(err);
      },
    );
  });
}
