import { withRetries } from '../src/retries';

/** An operation that fails with the given errors in turn, then answers 'done'. */
function failing(...errors: Error[]) {
  const calls: number[] = [];
  const operation = (): Promise<string> => {
    calls.push(calls.length + 1);
    const error = errors[calls.length - 1];
    return error ? Promise.reject(error) : Promise.resolve('done');
  };
  return { operation, calls };
}

/** Records the attempts a wait is asked for after, and waits for none. */
function waitRecorder() {
  const waits: number[] = [];
  const delayMs = (attempt: number): number => {
    waits.push(attempt);
    return 0;
  };
  return { waits, delayMs };
}

const transient = (what: string) => Object.assign(new Error(what), { transient: true });
const retryable = (error: unknown) => (error as { transient?: boolean }).transient === true;

test('failures are tried again until one succeeds, with the wait asked for after each', async () => {
  const { operation, calls } = failing(transient('one'), transient('two'));
  const { waits, delayMs } = waitRecorder();
  const seen: string[] = [];
  const answer = await withRetries(operation, {
    maxAttempts: 3,
    delayMs,
    retryable,
    onFailure: (error, attempt) => seen.push(`${attempt}:${(error as Error).message}`),
  });
  expect(answer).toBe('done');
  expect(calls).toEqual([1, 2, 3]);
  expect(waits).toEqual([1, 2]);
  expect(seen).toEqual(['1:one', '2:two']);
});

test('the last failure is thrown when the attempts run out, with no wait after it', async () => {
  const { operation, calls } = failing(transient('one'), transient('two'), transient('three'));
  const { waits, delayMs } = waitRecorder();
  await expect(withRetries(operation, { maxAttempts: 2, delayMs, retryable })).rejects.toThrow('two');
  expect(calls).toEqual([1, 2]);
  expect(waits).toEqual([1]);
});

test('a failure that is not retryable is thrown at once', async () => {
  const { operation, calls } = failing(transient('one'), new Error('refused'));
  const seen: number[] = [];
  await expect(
    withRetries(operation, {
      maxAttempts: 5,
      delayMs: () => 0,
      retryable,
      onFailure: (_e, n) => seen.push(n),
    }),
  ).rejects.toThrow('refused');
  expect(calls).toEqual([1, 2]);
  expect(seen).toEqual([1, 2]);
});

test('without a rule every failure is retried', async () => {
  const { operation, calls } = failing(new Error('one'), new Error('two'));
  await expect(withRetries(operation, { maxAttempts: 3, delayMs: () => 0 })).resolves.toBe('done');
  expect(calls).toEqual([1, 2, 3]);
});
