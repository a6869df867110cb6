// What every client driver of the SDK matrix reads and prints: one job (many pods, started at once) in,
// one outcome per pod out. Times are milliseconds from the moment all pods start.

export interface Job {
  /** http://127.0.0.1:PORT/v1/credentials */
  url: string;
  /** One token per pod (repeated for "many processes, one token"). */
  tokens: string[];
  /** The same tokens, each in a file, for SDKs that read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE. */
  tokenFiles: string[];
  /**
   * Each load's source address (loopback; see podAddress): on a node every pod has its own IP, which is the
   * agent's fairness key. Loads of one pod (many processes, one token) share one.
   */
  addresses: string[];
}

/** The loopback address pod `i` of a cell sends from: 127.1.x.y, clear of 127.0.0.1 (the bench itself) and
 * of the flooder's 127.0.0.2. Linux answers for all of 127/8 without configuration. */
export function podAddress(i: number): string {
  return `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

export interface Outcome {
  ok: boolean;
  ms: number;
  /** What the client surfaced to its caller when it got no credentials. */
  error?: string;
}

/** Bounded, single-line text of what a client reported. */
export function reported(err: unknown, max = 300): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s+/g, ' ').slice(0, max);
}

/** Runs every pod's load at once; each outcome's time counts from the common start. */
export async function runPods(count: number, load: (i: number) => Promise<void>): Promise<Outcome[]> {
  const start = performance.now();
  return await Promise.all(
    Array.from({ length: count }, async (_, i): Promise<Outcome> => {
      try {
        await load(i);
        return { ok: true, ms: performance.now() - start };
      } catch (err) {
        return { ok: false, ms: performance.now() - start, error: reported(err) };
      }
    }),
  );
}
