// A pod's SDK in the benches: botocore's container-provider loop (utils.py ContainerMetadataFetcher): up to
// 3 attempts, 1 s apart, a 2 s read timeout, a new connection each (facts/sdk-clients.md).
import { oneRequest } from './raw-http.ts';

export const ATTEMPTS = 3;
export const RETRY_PAUSE_MS = 1000;
export const READ_TIMEOUT_MS = 2000;

export interface PodOutcome {
  ok: boolean;
  attempts: number;
  ms: number;
  /** Wall-clock time (Date.now) the last attempt was sent: the emulator's windows follow the wall clock. */
  lastSentAt: number;
}

/** One pod's SDK: up to ATTEMPTS requests, RETRY_PAUSE_MS apart, until a 200; from `localAddress` if given. */
export async function botocoreLoop(url: URL, token: string, localAddress?: string): Promise<PodOutcome> {
  const startedAt = performance.now();
  let lastSentAt = Date.now();
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    lastSentAt = Date.now();
    const answer = await oneRequest(
      url,
      { authorization: token, accept: 'application/json' },
      READ_TIMEOUT_MS,
      localAddress,
    );
    if (answer.status === 200)
      return { ok: true, attempts: attempt, ms: performance.now() - startedAt, lastSentAt };
    if (attempt < ATTEMPTS) await Bun.sleep(RETRY_PAUSE_MS);
  }
  return { ok: false, attempts: ATTEMPTS, ms: performance.now() - startedAt, lastSentAt };
}
