import { fingerprintApiKey } from '@call-sync/core';
import {
  createDailyRequestBudget,
  createTokenBucket,
  fullJitterBackoffMs,
  getKeyRateLimiter,
  pacedRatePerSecond,
  parseRetryAfterMs,
  parseTryAgainHintMs,
} from '../src';

test('Retry-After is read as seconds or as an HTTP date', () => {
  const now = Date.parse('2026-10-20T22:00:00Z');
  expect(parseRetryAfterMs('2', now)).toBe(2000);
  expect(parseRetryAfterMs('Tue, 20 Oct 2026 22:00:05 GMT', now)).toBe(5000);
  expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
  expect(parseRetryAfterMs('soon', now)).toBeUndefined();
});

test('VAN-s "Try again in N ms" hint is read, in ms or seconds', () => {
  expect(parseTryAgainHintMs('Rate limit exceeded. Try again in 30 ms.')).toBe(30);
  expect(parseTryAgainHintMs('Rate limit exceeded. Try again in 2 seconds.')).toBe(2000);
  expect(parseTryAgainHintMs('Rate limit exceeded.')).toBeUndefined();
});

test('full-jitter backoff stays under its exponential ceiling and the cap', () => {
  expect(fullJitterBackoffMs(3, 100, 10_000, () => 0.999)).toBe(799);
  expect(fullJitterBackoffMs(20, 100, 10_000, () => 0.999)).toBe(9990);
  expect(fullJitterBackoffMs(0, 100, 10_000, () => 0)).toBe(0);
});

test('the daily budget starts again at Eastern midnight, not UTC midnight', () => {
  let now = new Date('2026-10-20T23:30:00-04:00');
  const budget = createDailyRequestBudget(1, () => now);
  expect(budget.tryConsume()).toBe(true);
  expect(budget.tryConsume()).toBe(false);
  now = new Date('2026-10-21T00:10:00Z'); // 20:10 Eastern, the same campaign day
  expect(budget.tryConsume()).toBe(false);
  now = new Date('2026-10-21T00:10:00-04:00');
  expect(budget.tryConsume()).toBe(true);
});

test('one key has one limiter in the process, found by its fingerprint', () => {
  const fingerprint = fingerprintApiKey('some-key');
  expect(fingerprint).toMatch(/^[0-9a-f]{12}$/);
  expect(fingerprint).not.toContain('some-key');
  expect(getKeyRateLimiter(fingerprint, 15)).toBe(getKeyRateLimiter(fingerprint, 15));
});

test('the token bucket spaces concurrent callers at its rate', async () => {
  const bucket = createTokenBucket(50);
  const started = Date.now();
  await Promise.all(Array.from({ length: 11 }, () => bucket.acquire()));
  expect(Date.now() - started).toBeGreaterThanOrEqual(190);
});

test.each([
  [200, 194],
  [30, 29.1],
  [15, 14.55],
  [1, 0.97],
])('a key allowing %d requests/s is paced at %d', (limit, paced) => {
  expect(pacedRatePerSecond(limit)).toBeCloseTo(paced, 6);
});

test('a stalled event loop does not make a key limiter send a burst over its limit', async () => {
  const limit = 20;
  const limiter = getKeyRateLimiter(fingerprintApiKey('stall-key'), limit);
  const granted: number[] = [];
  // Block the event loop for 900 ms shortly after the first grants, as GC or a loaded machine does.
  setTimeout(() => {
    const until = Date.now() + 900;
    while (Date.now() < until);
  }, 100);
  await Promise.all(Array.from({ length: 45 }, () => limiter.acquire().then(() => granted.push(Date.now()))));
  const mostInOneSecond = Math.max(
    ...granted.map((start) => granted.filter((at) => at >= start && at < start + 1000).length),
  );
  expect(granted).toHaveLength(45);
  expect(mostInOneSecond).toBeLessThanOrEqual(limit);
});

test('a limiter with a burst lets that many leave at once, and still no more than the limit in any second', async () => {
  const limiter = getKeyRateLimiter('burst-test', 4, { burst: 4 });
  const granted: number[] = [];
  await Promise.all(Array.from({ length: 10 }, () => limiter.acquire().then(() => granted.push(Date.now()))));
  // The first four together (one tick apart at most), the fifth only once the window has passed.
  expect(granted[3]! - granted[0]!).toBeLessThan(100);
  expect(granted[4]! - granted[0]!).toBeGreaterThanOrEqual(1000);
  const mostInOneSecond = Math.max(
    ...granted.map((start) => granted.filter((at) => at >= start && at < start + 1000).length),
  );
  expect(mostInOneSecond).toBeLessThanOrEqual(4);
});

test("a key's limiter is replaced when its burst changes, and kept while it does not", () => {
  const fingerprint = fingerprintApiKey('burst-change-key');
  const paced = getKeyRateLimiter(fingerprint, 15);
  expect(paced.burst).toBe(1);
  const bursting = getKeyRateLimiter(fingerprint, 15, { burst: 5 });
  expect(bursting).not.toBe(paced);
  expect(bursting.burst).toBe(5);
  expect(getKeyRateLimiter(fingerprint, 15, { burst: 5 })).toBe(bursting);
  // A burst above the limit is held to the limit.
  expect(getKeyRateLimiter(fingerprint, 15, { burst: 40 }).burst).toBe(15);
});
