import { estimateShallowMemoryUsageOf } from 'bun:jsc';
import { describe, expect, test } from 'bun:test';
import { createManualClock } from '../../src/clock.ts';
import {
  createEntry,
  FRESH_REMAINING_MS,
  MIN_REMAINING_VALIDITY_MS,
  serialiseCredentials,
} from '../../src/credentials/entry.ts';
import { createFakeEksAuth } from '../helpers/fake-eks-auth.ts';

const clock = createManualClock();
const fake = createFakeEksAuth(clock);

describe('credential entry', () => {
  test('an entry object stays in the 112-byte size class (12 fields today; a 13th makes every entry 160 bytes)', () => {
    const result = fake.success({ token: 't', options: undefined }, 1);
    const timing = { nowMs: clock.now(), monotonicMs: clock.monotonic(), retentionMs: 3600_000, random: 0.5 };
    const entry = createEntry('k', 't', Number.POSITIVE_INFINITY, result, timing, 'pod', 'ns/sa');
    // What the cache holds per pod besides its token and body strings (README, footprint (4)).
    expect(estimateShallowMemoryUsageOf(entry)).toBeLessThanOrEqual(112);
  });

  test('body is the container-credentials format with a Z timestamp and no milliseconds', () => {
    const result = fake.success({ token: 't', options: undefined }, 1);
    const body = JSON.parse(serialiseCredentials(result));
    expect(Object.keys(body)).toEqual(['AccessKeyId', 'SecretAccessKey', 'Token', 'AccountId', 'Expiration']);
    expect(body.AccountId).toBe('111122223333');
    expect(body.Expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(body.Expiration)).toBe(
      Math.floor(result.credentials.expiration.getTime() / 1000) * 1000,
    );
    expect(body.Code).toBeUndefined();
  });

  test.each([
    // [lifetime, retention, expected renew-after (before jitter)]
    [6 * 3600_000, 3 * 3600_000, 3 * 3600_000],
    [6 * 3600_000, 8 * 3600_000, 4.5 * 3600_000],
    [60_000, 3 * 3600_000, 45_000],
  ])('lifetime %d ms, retention %d ms -> renew after %d ms', (lifetime, retention, renewAfter) => {
    fake.lifetimeMs = lifetime;
    const result = fake.success({ token: 't', options: undefined }, 1);
    const now = clock.now();
    const mono = clock.monotonic();
    const noJitter = createEntry('k', 't', Number.POSITIVE_INFINITY, result, {
      nowMs: now,
      monotonicMs: mono,
      retentionMs: retention,
      random: 0,
    });
    const fullJitter = createEntry('k', 't', Number.POSITIVE_INFINITY, result, {
      nowMs: now,
      monotonicMs: mono,
      retentionMs: retention,
      random: 1,
    });
    expect(noJitter.renewAtMonotonicMs - mono).toBe(renewAfter);
    expect(fullJitter.renewAtMonotonicMs - mono).toBeCloseTo(renewAfter * 0.9, 3);
    expect(noJitter.servableUntilMs).toBe(now + lifetime - MIN_REMAINING_VALIDITY_MS);
    expect(noJitter.freshUntilMs).toBe(
      Math.min(now + lifetime - Math.min(FRESH_REMAINING_MS, lifetime / 5), noJitter.servableUntilMs),
    );
    expect(noJitter.freshUntilMs - now).toBeGreaterThanOrEqual(noJitter.renewAtMonotonicMs - mono);
    expect(noJitter.freshUntilMs).toBeLessThanOrEqual(noJitter.servableUntilMs);
  });
});
