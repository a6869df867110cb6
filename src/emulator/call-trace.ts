// A trace of AssumeRoleForPodIdentity calls for benches that account for every call of a run (the SDK
// matrix's `--trace`): off until switched on through the admin API, bounded, cleared when switched on. Each
// entry is when the call arrived, when its throttling was decided and when its answer was built, on the
// epoch-millisecond scale every process of the machine shares (timeOrigin + performance.now), and the pod it
// was for (the token's unverified pod name: a trace label only, read only while tracing).

/** Entries kept at most; later calls are counted in `dropped`. */
export const MAX_TRACE_ENTRIES = 20_000;

export interface TraceEntry {
  requestId: string;
  arrivedMs: number;
  /** When the throttling bucket was consulted (absent if the call failed before it). */
  admittedMs?: number;
  answeredMs: number;
  status: number;
  code?: string;
  pod?: string;
}

/** What a traced call learns on its way: when its throttling was decided and which pod it was for. */
export type TraceNote = Partial<Pick<TraceEntry, 'admittedMs' | 'pod'>>;

export interface CallTrace {
  readonly on: boolean;
  start(): void;
  stop(): void;
  record(entry: TraceEntry): void;
  snapshot(): { on: boolean; dropped: number; entries: TraceEntry[] };
}

/** Epoch milliseconds with sub-millisecond resolution, comparable across the machine's processes. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

/** The pod name in a token's claims, unverified (for a trace label only); undefined when it has none. */
export function tracePodName(body: Uint8Array): string | undefined {
  try {
    const { token } = JSON.parse(new TextDecoder().decode(body)) as { token?: unknown };
    if (typeof token !== 'string') return undefined;
    const payload = token.split('.')[1] ?? '';
    const claims = JSON.parse(Buffer.from(payload.slice(0, 8192), 'base64url').toString('utf8'));
    const name = claims?.['kubernetes.io']?.pod?.name;
    return typeof name === 'string' ? name.slice(0, 128) : undefined;
  } catch {
    return undefined;
  }
}

export function createCallTrace(): CallTrace {
  let on = false;
  let entries: TraceEntry[] = [];
  let dropped = 0;
  return {
    get on() {
      return on;
    },
    start() {
      on = true;
      entries = [];
      dropped = 0;
    },
    stop() {
      on = false;
    },
    record(entry) {
      if (!on) return;
      if (entries.length < MAX_TRACE_ENTRIES) entries.push(entry);
      else dropped++;
    },
    snapshot: () => ({ on, dropped, entries: [...entries] }),
  };
}

/**
 * Answers a call through `answer`; while `trace` is on, with a note for it to fill on its way, and records the
 * call when its answer is built.
 */
export async function traceCall(
  trace: CallTrace | undefined,
  requestId: string,
  arrivedMs: number,
  answer: (note?: TraceNote) => Promise<Response>,
): Promise<Response> {
  if (!trace?.on) return answer();
  const note: TraceNote = {};
  const response = await answer(note);
  const code = response.status === 200 ? undefined : (response.headers.get('x-amzn-errortype') ?? undefined);
  trace.record({
    requestId,
    arrivedMs,
    answeredMs: epochMs(),
    status: response.status,
    ...note,
    ...(code && { code }),
  });
  return response;
}
