interface WaitOptions {
  timeoutMs?: number;
  /** Between two checks; a function is asked before each pause. */
  intervalMs?: number | (() => number);
  what?: string | (() => string);
}

/**
 * Polls until `condition` holds, and fails naming `what` once `timeoutMs` has passed: a test or a
 * benchmark waits for the side effect it needs, never for a fixed time that a loaded machine may
 * not honour. A condition that throws ends the wait with its error (a service that exited).
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  options: WaitOptions = {},
): Promise<void> {
  const { timeoutMs = 30_000, what = 'condition' } = options;
  if (!(await waitAtMost(condition, options))) {
    throw new Error(`${typeof what === 'function' ? what() : what} not met within ${timeoutMs} ms`);
  }
}

/**
 * Polls as `waitUntil` does, but once `timeoutMs` has passed resolves false instead of failing: for
 * a wait whose caller's assertions say better what is missing, or that goes on either way.
 */
export async function waitAtMost(
  condition: () => boolean | Promise<boolean>,
  options: Omit<WaitOptions, 'what'> = {},
): Promise<boolean> {
  const { timeoutMs = 30_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) return false;
    const pause = typeof intervalMs === 'function' ? intervalMs() : intervalMs;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
  return true;
}

/** Waits until `items` (filled by a consumer) holds at least `count`, and returns it. */
export async function waitForItems<T>(items: T[], count: number, timeoutMs = 30_000): Promise<T[]> {
  await waitUntil(() => items.length >= count, {
    timeoutMs,
    what: () => `${count} items (only ${items.length} arrived)`,
  });
  return items;
}

/** Polls until `read` gives a value (not undefined) and returns it; fails as `waitUntil` does. */
export async function waitForValue<T>(
  read: () => Promise<T | undefined>,
  options: WaitOptions = {},
): Promise<T> {
  let value: T | undefined;
  await waitUntil(async () => (value = await read()) !== undefined, { intervalMs: 200, ...options });
  return value as T;
}
