// What every client driver of the SDK matrix reads and prints: one job (many pods, started at once) in,
// one outcome per pod out. Times are milliseconds from the moment all pods start.

export interface Job {
  /** http://127.0.0.1:PORT/v1/credentials */
  url: string;
  /** One token per pod (repeated for "many processes, one token"). */
  tokens: string[];
  /** The same tokens, each in a file, for SDKs that read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE. */
  tokenFiles: string[];
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
