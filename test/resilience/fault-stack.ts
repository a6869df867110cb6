// Shared pieces of the upstream-fault scenarios: a stack (emulator + agent) on one manual clock, plain GETs
// that report what a client sees, and a wait for background upstream calls to settle (notified, not polled).
import { createManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { raceTimer } from '../../src/shared/race-timer.ts';
import { type Stack, type StackOptions, startStack } from '../helpers/stack.ts';

export type ManualClock = ReturnType<typeof createManualClock>;

export interface FaultStack extends Stack {
  clock: ManualClock;
  /** GET /v1/credentials with this token, as a pod's SDK would send it. */
  get(token: string, signal?: AbortSignal): Promise<ClientView>;
  /** A fresh signed token for a pod (unique pod UID unless given). */
  token(pod?: { podName?: string; podUid?: string; serviceAccount?: string }): Promise<string>;
  /** Waits (bounded) until no upstream call is in flight, so call counts are final. */
  settle(): Promise<void>;
  calls(): number;
}

export interface ClientView {
  status: number;
  /** Parsed JSON body (every answer of the agent is JSON). */
  body: Record<string, string>;
  text: string;
}

/** No scenario here may rely on the background refresher: it would add upstream calls at random times. */
const NO_REFRESH_MS = 3_600_000;
/** Bound on settle(): the request deadline of an upstream call is 5 s; this only guards against a hang. */
const SETTLE_LIMIT_MS = 15_000;

export async function startFaultStack(args: string[] = [], options: StackOptions = {}): Promise<FaultStack> {
  const clock = createManualClock(Date.now());
  const stack = await startStack({
    ...options,
    // The rate limiter is tested on its own; scenarios here send bursts from one address.
    args: ['--rate-limit-per-client=0', ...args],
    emulator: { clock, ...options.emulator },
    deps: { clock, refreshIntervalMs: NO_REFRESH_MS, ...options.deps },
  });
  const host = new URL(stack.agent.url).host;
  let pods = 0;
  return {
    ...stack,
    clock,
    async get(token, signal) {
      const res = await fetch(stack.credentialsUrl, {
        headers: { host, authorization: token },
        signal: signal ?? AbortSignal.timeout(SETTLE_LIMIT_MS),
      });
      const text = await res.text();
      return { status: res.status, text, body: JSON.parse(text) as Record<string, string> };
    },
    token(pod = {}) {
      pods += 1;
      return stack.emulator.issueToken({
        namespace: 'default',
        serviceAccount: pod.serviceAccount ?? 'app',
        podName: pod.podName ?? `pod-${pods}`,
        podUid: pod.podUid ?? crypto.randomUUID(),
      });
    },
    async settle() {
      const hung = (): never => {
        throw new Error('upstream calls still in flight after 15 s');
      };
      await raceTimer(stack.agent.service.idle(), SETTLE_LIMIT_MS, hung);
    },
    calls: () => stack.emulator.stats().assumeRoleCalls,
  };
}

/** A logger at trace level whose every line is kept, for tests that read logs. */
export function createCapturingLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger('trace', {
    write(chunk: string) {
      lines.push(chunk);
    },
  });
  return { logger, lines };
}

export const RETRYABLE_5XX = [500, 502, 503, 504];
