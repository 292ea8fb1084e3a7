/**
 * A token bucket: `ratePerSecond` tokens a second, at most `burst` saved up. Each acquire takes a
 * token, waiting for it if the bucket is empty. Reservations are made synchronously, so callers
 * awaiting concurrently are spaced out instead of all waking at once.
 */
export interface KeyRateLimiter {
  acquire(): Promise<void>;
  readonly ratePerSecond: number;
  /** Grants that may leave at once after a quiet spell (1 when requests are only ever spaced). */
  readonly burst?: number;
}

export function createTokenBucket(
  ratePerSecond: number,
  burst = 1,
  now: () => number = Date.now,
): KeyRateLimiter {
  if (!(ratePerSecond > 0)) throw new Error('ratePerSecond must be positive');
  let tokens = burst;
  let refilledAt = now();
  return {
    ratePerSecond,
    acquire(): Promise<void> {
      const at = now();
      tokens = Math.min(burst, tokens + ((at - refilledAt) / 1000) * ratePerSecond);
      refilledAt = at;
      tokens -= 1;
      if (tokens >= 0) return Promise.resolve();
      const waitMs = Math.ceil((-tokens / ratePerSecond) * 1000);
      return new Promise((resolve) => setTimeout(resolve, waitMs));
    },
  };
}

/**
 * The rate we actually send at for a key whose limit is `keyRatePerSecond`. VAN counts requests
 * in one-second windows on its side; a bucket at exactly the limit crosses a window with one
 * request too many whenever timers or the network jitter, so we send a little under it. The
 * pacer below also holds grants to the limit in any window of actual grant times, which is what
 * stops bursts; how far under was measured with the benchmarks (bench/README.md).
 */
export function pacedRatePerSecond(keyRatePerSecond: number): number {
  return keyRatePerSecond * 0.97;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A burst as the pacer holds it: at least one grant, at most the key's limit. */
const burstWithin = (keyRatePerSecond: number, burst: number): number =>
  Math.min(Math.max(1, Math.floor(burst)), Math.max(1, Math.floor(keyRatePerSecond)));

/**
 * A key's limiter as the server sees it. A token bucket alone promises spacing between
 * *reservations*; when the event loop stalls (GC, a loaded machine), timers reserved far apart
 * fire together and the server sees a burst. So grants are taken one at a time, and each is also
 * held to at most `floor(limit)` grants in any window of actual grant times that the paced rate
 * would fill — the server's one-second window plus the pacing's headroom. In steady state the
 * window never binds; after a stall it stops the burst instead of sending it.
 */
function createKeyPacer(
  keyRatePerSecond: number,
  burst: number,
  now: () => number = Date.now,
): KeyRateLimiter {
  const paced = pacedRatePerSecond(keyRatePerSecond);
  const perWindow = Math.max(1, Math.floor(keyRatePerSecond));
  const saved = burstWithin(keyRatePerSecond, burst);
  const bucket = createTokenBucket(paced, saved, now);
  const windowMs = (1000 * perWindow) / paced;
  const granted: number[] = [];
  let lastTurn: Promise<void> = Promise.resolve();

  async function grant(): Promise<void> {
    await bucket.acquire();
    for (;;) {
      const at = now();
      while (granted.length > 0 && granted[0]! <= at - windowMs) granted.shift();
      if (granted.length < perWindow) {
        granted.push(at);
        return;
      }
      await sleep(Math.ceil(granted[0]! + windowMs - at));
    }
  }

  return {
    ratePerSecond: keyRatePerSecond,
    burst: saved,
    acquire(): Promise<void> {
      const turn = lastTurn.then(grant);
      lastTurn = turn;
      return turn;
    },
  };
}

// VAN's limits are per API key across all endpoints, so every client using one key in this
// process must draw from the same limiter. Keyed by the key's fingerprint, never the key.
const limitersByKey = new Map<string, KeyRateLimiter>();

/**
 * The process-wide limiter for one key, paced under `ratePerSecond` (the key's limit, which the
 * limiter reports); a new rate or burst replaces the limiter (profiles can change). With `burst`,
 * that many requests (at most the limit) may leave at once after a quiet spell; the window still
 * holds every second to the limit.
 */
export function getKeyRateLimiter(
  keyFingerprint: string,
  ratePerSecond: number,
  options: { burst?: number } = {},
): KeyRateLimiter {
  const burst = burstWithin(ratePerSecond, options.burst ?? 1);
  const existing = limitersByKey.get(keyFingerprint);
  if (existing && existing.ratePerSecond === ratePerSecond && existing.burst === burst) return existing;
  const limiter = createKeyPacer(ratePerSecond, burst);
  limitersByKey.set(keyFingerprint, limiter);
  return limiter;
}
