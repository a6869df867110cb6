// Call counters for AssumeRoleForPodIdentity, read by tests and benches through stats() and the admin API.
import type { EmulatorStats } from './types.ts';

/** Codes come from a closed set, but the map stays bounded even if that ever changes. */
const MAX_CODES = 64;
const OTHER_CODE = 'Other';

export interface StatsRecorder {
  call(): void;
  success(): void;
  failure(code: string, status: number): void;
  snapshot(): EmulatorStats;
  reset(): void;
}

export function createStats(): StatsRecorder {
  let s: EmulatorStats = { assumeRoleCalls: 0, succeeded: 0, failed: 0, throttled: 0, byCode: {} };
  return {
    call() {
      s.assumeRoleCalls++;
    },
    success() {
      s.succeeded++;
    },
    failure(code, status) {
      s.failed++;
      if (status === 429) s.throttled++;
      const key =
        Object.hasOwn(s.byCode, code) || Object.keys(s.byCode).length < MAX_CODES ? code : OTHER_CODE;
      s.byCode[key] = (s.byCode[key] ?? 0) + 1;
    },
    snapshot() {
      return { ...s, byCode: { ...s.byCode } };
    },
    reset() {
      s = { assumeRoleCalls: 0, succeeded: 0, failed: 0, throttled: 0, byCode: {} };
    },
  };
}
