// How the clients wait and try again: the backoffs, the servers' own hints (Retry-After, VAN's
// "try again in"), and the retry loop of the Airtable and Livevox clients and of report delivery.
// VAN's writes follow stricter rules (an unanswered post is never sent again) and keep their own:
// van-retry-rules.ts.

/** "Full jitter" backoff: a random wait up to the exponential ceiling, so retries don't stampede. */
export function fullJitterBackoffMs(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfterMs(header: string | undefined, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** VAN's 429 text "Rate limit exceeded. Try again in 30 ms." (or seconds); undefined without a hint. */
export function parseTryAgainHintMs(text: string | undefined): number | undefined {
  const match = /try again in\s+(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|sec|seconds?)\b/i.exec(text ?? '');
  if (!match?.[1] || !match[2]) return undefined;
  const amount = Number(match[1]);
  return match[2].toLowerCase().startsWith('m') ? Math.ceil(amount) : Math.ceil(amount * 1000);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface RetryOptions {
  /** Attempts, the first included. */
  maxAttempts: number;
  /** The wait after failed attempt `attempt` (1 for the first). */
  delayMs: (attempt: number) => number;
  /** Whether a failure is worth another attempt; every one is when absent. */
  retryable?: (error: unknown) => boolean;
  /** Told of every failure, before the wait or the rethrow. */
  onFailure?: (error: unknown, attempt: number) => void;
}

/** Runs `operation` until it succeeds, fails for good, or the attempts run out; throws the last failure. */
export async function withRetries<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      options.onFailure?.(error, attempt);
      if (attempt >= options.maxAttempts || !(options.retryable?.(error) ?? true)) throw error;
      await sleep(options.delayMs(attempt));
    }
  }
}
