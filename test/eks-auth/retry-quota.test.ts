import { describe, expect, test } from 'bun:test';
import {
  createRetryQuota,
  RETRY_COST,
  RETRY_QUOTA_CAPACITY,
  THROTTLE_RETRY_COST,
} from '../../src/eks-auth/retry-quota.ts';

describe('retry quota', () => {
  test('throttling drains it faster than other failures, then retries stop', () => {
    const q = createRetryQuota();
    let throttleRetries = 0;
    while (q.tryAcquire('ThrottlingException') !== false) throttleRetries++;
    expect(throttleRetries).toBe(RETRY_QUOTA_CAPACITY / THROTTLE_RETRY_COST);
    expect(q.tryAcquire('InternalServerException')).toBe(false);
  });

  test('successes refill: a retried success refunds its cost, a first-attempt success adds one', () => {
    const q = createRetryQuota();
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
});
