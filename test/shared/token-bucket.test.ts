import { expect, test } from 'bun:test';
import { createTokenBucket, msUntilTokens, refillBucket } from '../../src/shared/token-bucket.ts';

test('refills at the rate up to the capacity; time that goes back adds nothing', () => {
  const bucket = createTokenBucket(0, 1_000);
  refillBucket(bucket, 1_500, 4, 10);
  expect(bucket.tokens).toBe(2);
  refillBucket(bucket, 1_200, 4, 10);
  expect(bucket).toEqual({ tokens: 2, lastMs: 1_500 });
  refillBucket(bucket, 60_000, 4, 10);
  expect(bucket.tokens).toBe(10);
});

test('the wait for a token grows with the debt', () => {
  const bucket = createTokenBucket(1, 0);
  expect(msUntilTokens(bucket, 1, 2)).toBe(0);
  bucket.tokens = 0.5;
  expect(msUntilTokens(bucket, 1, 2)).toBe(250);
  bucket.tokens = -1;
  expect(msUntilTokens(bucket, 1, 2)).toBe(1_000);
  expect(msUntilTokens(bucket, 5, 2)).toBe(3_000);
});
