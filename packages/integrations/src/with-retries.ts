import { sleep } from './retry-delays';

// The retry loop of the Airtable and Livevox clients and of report delivery. VAN's writes follow
// stricter rules (an unanswered post is never sent again) and keep their own: van-retry-rules.ts.

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
