// What a run measures, per simulated second: EKS Auth calls (every attempt that reached it), throttled and
// failed ones, calls for pods already dead, and pods without credentials (time-averaged); plus totals.

export interface Totals {
  calls: number;
  admitted: number;
  throttled: number;
  failed: number;
  deadPodCalls: number;
  /** Calls for pods whose service account has no association (they can never succeed). */
  noAssociationCalls: number;
  /** Alive pod time, ms (for calls per live pod-day). */
  livePodMs: number;
  /** Pod time spent without credentials after the SDK reported a failure, ms. */
  noCredsPodMs: number;
  podsStarted: number;
  podsDied: number;
  /** SDK credential fetches that failed after all their attempts. */
  sdkFailures: number;
  /** Requests SDKs sent to an agent (every attempt that found one listening). */
  sdkRequests: number;
}

export interface Recorder {
  call(nowMs: number, deadPod: boolean, noAssociation: boolean): void;
  admitted(nowMs: number): void;
  throttled(nowMs: number): void;
  failed(nowMs: number): void;
  /** Alive pods and pods without credentials changed by these amounts at nowMs. */
  pods(nowMs: number, aliveDelta: number, noCredsDelta: number): void;
  sdkFailure(): void;
  sdkRequest(): void;
  finish(endMs: number): void;
  readonly totals: Totals;
  readonly series: {
    readonly calls: Float64Array;
    readonly throttled: Float64Array;
    readonly failed: Float64Array;
    readonly deadPodCalls: Float64Array;
    readonly noAssociationCalls: Float64Array;
    readonly deaths: Float64Array;
    /** Time-averaged count over each second. */
    readonly noCreds: Float64Array;
    readonly alive: Float64Array;
  };
  readonly startMs: number;
  readonly seconds: number;
}

export function createRecorder(startMs: number, durationMs: number): Recorder {
  const seconds = Math.ceil(durationMs / 1000);
  const series = {
    calls: new Float64Array(seconds),
    throttled: new Float64Array(seconds),
    failed: new Float64Array(seconds),
    deadPodCalls: new Float64Array(seconds),
    noAssociationCalls: new Float64Array(seconds),
    deaths: new Float64Array(seconds),
    noCreds: new Float64Array(seconds),
    alive: new Float64Array(seconds),
  };
  const totals: Totals = {
    calls: 0,
    admitted: 0,
    throttled: 0,
    failed: 0,
    deadPodCalls: 0,
    noAssociationCalls: 0,
    livePodMs: 0,
    noCredsPodMs: 0,
    podsStarted: 0,
    podsDied: 0,
    sdkFailures: 0,
    sdkRequests: 0,
  };
  const at = (nowMs: number) => Math.min(seconds - 1, Math.max(0, Math.floor((nowMs - startMs) / 1000)));
  let alive = 0;
  let noCreds = 0;
  let lastMs = startMs;

  /** Spreads the current levels over [lastMs, nowMs) into the per-second averages. */
  function integrate(nowMs: number) {
    if (nowMs <= lastMs) return;
    totals.livePodMs += alive * (nowMs - lastMs);
    totals.noCredsPodMs += noCreds * (nowMs - lastMs);
    let t = lastMs;
    while (t < nowMs) {
      const i = at(t);
      const bucketEnd = startMs + (i + 1) * 1000;
      const end = Math.min(nowMs, bucketEnd);
      const share = (end - t) / 1000;
      series.alive[i]! += alive * share;
      series.noCreds[i]! += noCreds * share;
      t = end;
      if (i === seconds - 1) break;
    }
    lastMs = nowMs;
  }

  return {
    call(nowMs, deadPod, noAssociation) {
      totals.calls++;
      series.calls[at(nowMs)]!++;
      if (noAssociation) {
        totals.noAssociationCalls++;
        series.noAssociationCalls[at(nowMs)]!++;
      }
      if (deadPod) {
        totals.deadPodCalls++;
        series.deadPodCalls[at(nowMs)]!++;
      }
    },
    admitted() {
      totals.admitted++;
    },
    throttled(nowMs) {
      totals.throttled++;
      series.throttled[at(nowMs)]!++;
    },
    failed(nowMs) {
      totals.failed++;
      series.failed[at(nowMs)]!++;
    },
    pods(nowMs, aliveDelta, noCredsDelta) {
      integrate(nowMs);
      alive += aliveDelta;
      noCreds += noCredsDelta;
      if (aliveDelta > 0) totals.podsStarted += aliveDelta;
      if (aliveDelta < 0) {
        totals.podsDied -= aliveDelta;
        series.deaths[at(nowMs)]! -= aliveDelta;
      }
    },
    sdkFailure() {
      totals.sdkFailures++;
    },
    sdkRequest() {
      totals.sdkRequests++;
    },
    finish(endMs) {
      integrate(endMs);
    },
    totals,
    series,
    startMs,
    seconds,
  };
}
