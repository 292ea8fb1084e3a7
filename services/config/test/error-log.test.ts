import { randomUUID } from 'node:crypto';
import { waitForValue } from '@call-sync/testkit';
import { API_TOKEN, useConfigWorld } from './support/config-world';

// An unexpected failure answers a bare 500 — never a stack or a secret to the caller — and the
// log keeps what is needed to find it: the error's type, message and stack.

const world = useConfigWorld();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LogRecord = Record<string, any>;

function logRecords(): LogRecord[] {
  return world.service
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogRecord);
}

test('an unexpected 500 is logged with its stack, and the caller sees none of it', async () => {
  // A run document the pipeline could never write (no window) makes the run page fail.
  const runId = randomUUID();
  await world.db
    .collection('runs')
    .insertOne({ _id: runId as never, runId, candidate: 'good-candidate', state: 'open', window: null });

  const response = await world.api(`/runs/${runId}`);
  expect(response.status).toBe(500);
  const text = await response.text();
  expect(JSON.parse(text)).toEqual({ error: 'internal', detail: 'internal error; see the service log' });
  expect(text).not.toMatch(/TypeError|\bat /);

  const logged = await waitForValue(
    async () => logRecords().find((r) => r.msg === 'request failed' && r.path === `/runs/${runId}`),
    { timeoutMs: 10_000, what: 'the failed request in the service log' },
  );
  expect(logged).toMatchObject({ level: 50, method: 'GET', err: { type: 'TypeError' } });
  expect(logged.err.message).toMatch(/Cannot read properties of null/);
  expect(logged.err.stack).toMatch(
    /^TypeError: Cannot read properties of null[^\n]*\n\s+at describeRun \(.*runs\.js:\d+:\d+\)/,
  );
  expect(world.service.output()).not.toContain(API_TOKEN);
});
