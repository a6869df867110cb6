// Bench-only: where the agent's event-loop turns go (bench/hostile-upstream-trace.ts reads it). A 1 ms interval
// writes one line per tick to stderr (synchronously, so it interleaves in order with BUN_JSC_logGC's lines):
//   T <lateness us> <hits> <hit us> <misses> <miss us> <largest request batch> <its us> <immediates> <immediate us> <worker replies> <reply us>
// counted since the previous tick. A request's time is its handler's synchronous part plus the microtasks it
// queued before a marker (the miss's token decoding and claims run there, up to its first real wait); a batch
// is requests whose handlers ran back to back (less than 30 us apart: one turn's dispatch by Bun).
// Immediates are the EKS Auth client's turn queue (one send or one answer each); worker replies are the
// signature workers' answers (the miss continues from there to its EKS Auth call).
import { writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

const BATCH_GAP_MS = 0.03;

export function installTurnTrace(): void {
  let hits = 0;
  let hitMs = 0;
  let misses = 0;
  let missMs = 0;
  let batch = 0;
  let batchMs = 0;
  let lastEnd = 0;
  let maxBatch = 0;
  let maxBatchMs = 0;
  let immediates = 0;
  let immediateMs = 0;
  let replies = 0;
  let replyMs = 0;

  /** Runs fn, then reports its time with the microtasks it queued once a marker queued after them runs. */
  function timed(fn: () => unknown, done: (ms: number, result: unknown) => void): unknown {
    const t0 = performance.now();
    const result = fn();
    queueMicrotask(() => done(performance.now() - t0, result));
    return result;
  }

  const serve = Bun.serve;
  Bun.serve = ((options: Parameters<typeof Bun.serve>[0]) => {
    const routes = (options as { routes?: Record<string, unknown> }).routes;
    const handler = routes?.['/v1/credentials'];
    if (typeof handler === 'function') {
      routes!['/v1/credentials'] = (req: Request, server: unknown) => {
        const startedAt = performance.now();
        if (startedAt - lastEnd > BATCH_GAP_MS) {
          batch = 0;
          batchMs = 0;
        }
        return timed(
          () => (handler as (r: Request, s: unknown) => unknown)(req, server),
          (ms, result) => {
            if (result instanceof Response) {
              hits++;
              hitMs += ms;
            } else {
              misses++;
              missMs += ms;
            }
            batch++;
            batchMs += ms;
            if (batch > maxBatch) maxBatch = batch;
            if (batchMs > maxBatchMs) maxBatchMs = batchMs;
            lastEnd = performance.now();
          },
        );
      };
    }
    return serve(options);
  }) as typeof Bun.serve;

  const setImmediateOriginal = globalThis.setImmediate;
  globalThis.setImmediate = ((fn: (...a: unknown[]) => void, ...args: unknown[]) =>
    setImmediateOriginal(() =>
      timed(
        () => fn(...args),
        (ms) => {
          immediates++;
          immediateMs += ms;
        },
      ),
    )) as typeof setImmediate;

  const on = Worker.prototype.on;
  Worker.prototype.on = function traced(this: Worker, event: string, listener: (...a: unknown[]) => void) {
    if (event !== 'message') return on.call(this, event, listener);
    return on.call(this, event, (...args: unknown[]) =>
      timed(
        () => listener(...args),
        (ms) => {
          replies++;
          replyMs += ms;
        },
      ),
    );
  } as typeof Worker.prototype.on;

  const us = (ms: number) => Math.round(ms * 1000);
  let expected = performance.now() + 1;
  setInterval(() => {
    const now = performance.now();
    const late = Math.max(0, now - expected);
    expected = now + 1;
    writeSync(
      2,
      `T ${us(late)} ${hits} ${us(hitMs)} ${misses} ${us(missMs)} ${maxBatch} ${us(maxBatchMs)} ${immediates} ${us(immediateMs)} ${replies} ${us(replyMs)}\n`,
    );
    hits = hitMs = misses = missMs = maxBatch = maxBatchMs = immediates = immediateMs = replies = replyMs = 0;
  }, 1);
}
