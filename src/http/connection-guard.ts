// Bounds what open connections can cost when Bun.serve offers no connection cap: Bun accepts every
// connection, and a socket that never finishes its headers stays open until Bun's fixed header deadline
// (~10 s, whatever idleTimeout says) holding up to the header limit in memory. At the process's file
// descriptor limit Bun's accept loop spins a core (accept fails with EMFILE, the listening socket stays
// readable) until sockets close.
//
// So the guard counts the process's open descriptors a few times a second and, at the cap (the
// --max-connections flag, or the fd limit less a reserve if that is lower), stops the data listeners
// accepting: new connections are refused at once (SDKs retry connection errors) while open ones are served
// and unfinished ones reach Bun's deadline; the reserve keeps the probe and metrics listeners, EKS Auth calls
// and key fetches working. Below the resume mark the listeners accept again. No per-address cap is possible
// here: Bun.serve shows a connection to JavaScript only once it carries a complete request.
import { readdirSync, statSync } from 'node:fs';

/**
 * Descriptors kept free below the fd limit: what the data listeners may still accept between two checks
 * (a loopback flood gets a few hundred connections accepted in 10 ms), plus what the probe and metrics
 * listeners, EKS Auth calls and key fetches need. At the limit itself Bun spins on any listener with a
 * pending connection, the probe listener included.
 */
export const FD_RESERVE = 1024;
/** Listeners accept again once open descriptors fall this far below the cap (no flapping at the edge). */
export const RESUME_BELOW_CAP = 256;
/** Checks while open descriptors are below half the cap, and (fast) above it. */
export const CONNECTION_GUARD_INTERVAL_MS = 250;
export const CONNECTION_GUARD_FAST_INTERVAL_MS = 10;

export interface AcceptControl {
  /** Stop accepting new connections on the data listeners; open ones are kept. */
  pause(): void;
  /** Accept again; rejects when a listener cannot be bound again (retried on the next tick). */
  resume(): Promise<void>;
}

export interface ConnectionGuardOptions {
  /** Open descriptors (connections and everything else) at which accepting stops. */
  maxConnections: number;
  /** The process's soft descriptor limit; undefined when unknown. */
  fdLimit: number | undefined;
  listeners: AcceptControl;
  /** Counts the process's open descriptors; default: /proc/self/fd. */
  countOpenFds?: () => number;
  onChange?: (accepting: boolean, openFds: number, cap: number) => void;
  onError?: (err: unknown) => void;
  /** Checks on a timer (default); tests pass false and call tick() themselves. */
  autoStart?: boolean;
  /** Whether counting is cheap enough for the fast interval near the cap (default: Linux 6.2+ stat). */
  fastCount?: boolean;
}

export interface ConnectionGuard {
  /** The descriptor count at which accepting stops. */
  readonly cap: number;
  accepting(): boolean;
  /** One check (the scheduler calls it; tests call it directly and await a resume it starts). */
  tick(): Promise<void>;
  stop(): void;
}

/**
 * Open descriptors of this process. Linux 6.2+ reports the count as the size of /proc/self/fd (about 20 us
 * at 12,000 descriptors); older kernels report 0, and the directory is listed instead (~12 ms at 12,000).
 */
export function countOpenFds(fdDir = '/proc/self/fd'): number {
  const size = statSync(fdDir).size;
  return size > 0 ? size : readdirSync(fdDir).length;
}

/** True where the kernel reports the count in the directory's size (one stat, ~20 us). */
export function openFdCountIsCheap(): boolean {
  try {
    return statSync('/proc/self/fd').size > 0;
  } catch {
    return false;
  }
}

export function connectionCap(maxConnections: number, fdLimit: number | undefined): number {
  const byLimit = fdLimit === undefined ? Number.POSITIVE_INFINITY : fdLimit - FD_RESERVE;
  return Math.max(1, Math.min(maxConnections, byLimit));
}

export function createConnectionGuard(options: ConnectionGuardOptions): ConnectionGuard {
  const { listeners, onChange, onError } = options;
  const count = options.countOpenFds ?? (() => countOpenFds());
  const cap = connectionCap(options.maxConnections, options.fdLimit);
  const resumeAt = cap - Math.min(RESUME_BELOW_CAP, Math.floor(cap / 4));
  let accepting = true;
  let resuming: Promise<void> | undefined;
  let lastOpen = 0;

  function tick(): Promise<void> {
    if (resuming) return resuming;
    let open: number;
    try {
      open = count();
    } catch (err) {
      onError?.(err);
      return Promise.resolve();
    }
    lastOpen = open;
    if (accepting && open >= cap) {
      listeners.pause();
      accepting = false;
      onChange?.(false, open, cap);
    } else if (!accepting && open <= resumeAt) {
      resuming = listeners
        .resume()
        .then(
          () => {
            accepting = true;
            onChange?.(true, open, cap);
          },
          (err: unknown) => onError?.(err),
        )
        .finally(() => {
          resuming = undefined;
        });
      return resuming;
    }
    return Promise.resolve();
  }

  const fast = options.fastCount ?? openFdCountIsCheap();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  function schedule(): void {
    if (stopped) return;
    const nearCap = fast && lastOpen >= cap / 2;
    timer = setTimeout(
      () => {
        void tick().finally(schedule);
      },
      nearCap ? CONNECTION_GUARD_FAST_INTERVAL_MS : CONNECTION_GUARD_INTERVAL_MS,
    );
    timer.unref?.();
  }
  if (options.autoStart ?? true) schedule();
  return {
    cap,
    accepting: () => accepting,
    tick,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/**
 * The request-header limit the agent is meant to run with: Bun has no Bun.serve option for it, only the
 * runtime flag --max-http-header-size (compiled into the executable: `execArgv` in scripts/build-executable.ts;
 * `bin/` and `npm start` pass it). Each unfinished-header connection holds up to this much, so it sets the memory a
 * flood can cost; real tokens are ~1.5 KB and MAX_TOKEN_LENGTH (6 KiB) leaves room for the other headers.
 */
export const MAX_REQUEST_HEADER_BYTES = 8 * 1024;
const BUN_DEFAULT_HEADER_BYTES = 16 * 1024;
const HEADER_FLAG = '--max-http-header-size=';

/** The header limit in force, from the runtime's own arguments (Bun's default 16 KiB without the flag). */
export function runtimeHeaderLimitBytes(execArgv: readonly string[] = process.execArgv): number {
  const flag = execArgv.findLast((a) => a.startsWith(HEADER_FLAG));
  const value = flag === undefined ? Number.NaN : Number(flag.slice(HEADER_FLAG.length));
  return Number.isInteger(value) && value > 0 ? value : BUN_DEFAULT_HEADER_BYTES;
}
