import { describe, expect, test } from 'bun:test';
import {
  createRetryQuota,
  REFILL_PER_SECOND,
  RETRY_COST,
  RETRY_QUOTA_CAPACITY,
  THROTTLE_RETRY_COST,
} from '../../src/eks-auth/retry-quota.ts';

/** A quota on a hand-moved monotonic clock. */
function quota() {
  let t = 5_000;
  const q = createRetryQuota(RETRY_QUOTA_CAPACITY, () => t);
  const advance = (ms: number) => {
    t += ms;
  };
  return { q, advance };
}

describe('retry quota', () => {
  test('throttling drains it faster than other failures, then retries stop', () => {
    const { q } = quota();
    let throttleRetries = 0;
    while (q.tryAcquire('ThrottlingException') !== false) throttleRetries++;
    expect(throttleRetries).toBe(RETRY_QUOTA_CAPACITY / THROTTLE_RETRY_COST);
    expect(q.tryAcquire('InternalServerException')).toBe(false);
  });

  test('successes refill: a retried success refunds its cost, a first-attempt success adds one', () => {
    const { q } = quota();
    const cost = q.tryAcquire('ServiceUnavailableException');
    expect(cost).toBe(RETRY_COST);
    expect(q.available).toBe(RETRY_QUOTA_CAPACITY - RETRY_COST);
    q.release(RETRY_COST);
    expect(q.available).toBe(RETRY_QUOTA_CAPACITY);
    while (q.tryAcquire('UpstreamTimeout') !== false) {}
    const low = q.available;
    q.release(0);
    expect(q.available).toBe(low + 1);
    for (let i = 0; i < 1000; i++) q.release(0);
    expect(q.available).toBe(RETRY_QUOTA_CAPACITY);
  });

  test('refills with time, so retries resume after an outage without waiting for a success', () => {
    const { q, advance } = quota();
    while (q.tryAcquire('ServiceUnavailableException') !== false) {}
    expect(q.tryAcquire('ServiceUnavailableException')).toBe(false);
    advance((RETRY_COST / REFILL_PER_SECOND) * 1000);
    expect(q.tryAcquire('ServiceUnavailableException')).toBe(RETRY_COST);
    expect(q.tryAcquire('ServiceUnavailableException')).toBe(false);
    advance(3_600_000);
    expect(q.available).toBe(RETRY_QUOTA_CAPACITY);
  });
});
