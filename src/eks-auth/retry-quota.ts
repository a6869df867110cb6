// A retry budget shared by every EKS Auth call, after the AWS SDKs' "standard" retry quota: a retry spends
// from the bucket, a success refills it. While EKS Auth keeps throttling or failing, the bucket runs dry and
// each call makes a single attempt: the pods' SDKs retry on their own, so the agent's retries would only
// multiply the load on an upstream that asked it to slow down (the public agent's #34/#50/#92 storms).
// It also refills with (monotonic) time, so after an outage retries come back without waiting for a first
// success that the missing retries may be what prevents.
import { type MonotonicNow, systemMonotonicNow } from '../clock.ts';
import { createTokenBucket, refillBucket } from '../shared/token-bucket.ts';

/** Room for a short blip: ten ordinary retries, or five after throttling/timeouts. */
export const RETRY_QUOTA_CAPACITY = 50;
/** Cost of a retry after an ordinary retryable failure (5xx, network). */
export const RETRY_COST = 5;
/** Cost after throttling or a timeout: the upstream is telling us it is overloaded. */
export const THROTTLE_RETRY_COST = 10;
/** Refill for a call that succeeded at its first attempt. */
export const SUCCESS_REFILL = 1;
/**
 * Refill with time: one ordinary retry every 10 s; an empty bucket is full again after 100 s. Slow on purpose:
 * every node refills at once, so during an outage the refill is spent on calls that fail. The cluster
 * simulator's 15 min outage on 200 nodes (`npm run sim -- --only outage`) made 54,083 calls at 5 per second,
 * 30,262 at 0.5 and about 26,000 with no refill by time.
 */
export const REFILL_PER_SECOND = 0.5;

export interface RetryQuota {
  /** Takes the cost of one retry after `failureCode`; false when the budget cannot pay for it. */
  tryAcquire(failureCode: string): number | false;
  /** A call succeeded: refunds what its retries spent, or adds the first-attempt refill. */
  release(spent: number): void;
  readonly available: number;
}

export function createRetryQuota(
  capacity = RETRY_QUOTA_CAPACITY,
  now: MonotonicNow = systemMonotonicNow,
): RetryQuota {
  const bucket = createTokenBucket(capacity, now());
  const refill = () => refillBucket(bucket, now(), REFILL_PER_SECOND, capacity);
  return {
    tryAcquire(failureCode) {
      refill();
      const cost =
        failureCode === 'ThrottlingException' || failureCode === 'UpstreamTimeout'
          ? THROTTLE_RETRY_COST
          : RETRY_COST;
      if (cost > bucket.tokens) return false;
      bucket.tokens -= cost;
      return cost;
    },
    release(spent) {
      refill();
      bucket.tokens = Math.min(capacity, bucket.tokens + (spent > 0 ? spent : SUCCESS_REFILL));
    },
    get available() {
      refill();
      return bucket.tokens;
    },
  };
}
