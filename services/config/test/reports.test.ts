import { randomUUID } from 'node:crypto';
import { emptyRunCounts, RunEvent, type Call } from '@call-sync/core';
import { createKafka, createLogger, createPublisher, Topics, type Publisher } from '@call-sync/platform';
import { serverEnv } from '../../../test/support/env';
import { easternTime, makeCall } from './support/calls';
import { waitForValue } from '@call-sync/testkit';
import { useConfigWorld } from './support/config-world';

let publisher: Publisher;
afterAll(() => publisher?.disconnect());
const world = useConfigWorld();
beforeAll(async () => {
  const { kafka } = createKafka(
    'config-reports-test',
    serverEnv().kafkaBrokers,
    createLogger('test', 'silent'),
  );
  publisher = await createPublisher(kafka);
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (response: Response): Promise<any> => response.json();

/** A run the pipeline finished: its document and its calls, as the extractor and writers leave them. */
async function finishedRun(candidate: string, calls: Partial<Call>[], extra: Record<string, unknown> = {}) {
  const runId = randomUUID();
  const window = { start: easternTime('2026-10-19', 21), end: easternTime('2026-10-20', 21) };
  const now = new Date();
  await world.db.collection('runs').insertOne({
    _id: runId as never,
    runId,
    candidate,
    trigger: 'schedule',
    state: 'completed',
    window,
    scheduledAt: window.end,
    dryRun: false,
    callsClaimed: calls.length,
    counts: emptyRunCounts(),
    openedAt: now,
    updatedAt: now,
    finishedAt: now,
    ...extra,
  });
  if (calls.length > 0) {
    await world.db
      .collection('calls')
      .insertMany(
        calls.map((call) => makeCall({ timestamp: easternTime('2026-10-20', 18), run_id: runId, ...call })),
      );
  }
  return runId;
}

// One key for every event of this file: one partition, so they are handled in the order sent.
const publish = (event: Omit<RunEvent, 'v' | 'at'>) =>
  publisher.publish(Topics.RunEvents, RunEvent, [
    { key: `config-reports-${world.database}`, value: { v: 1, at: new Date().toISOString(), ...event } },
  ]);

async function deliveredReport(runId: string) {
  return waitForValue(
    async () => {
      const run = await json(await world.api(`/runs/${runId}`));
      return run.report?.delivery.status === 'sent' ? run.report : undefined;
    },
    { timeoutMs: 30_000, what: `the report of run ${runId} sent` },
  );
}
const received = (runId: string) => world.webhook.received.filter((report) => report.runId === runId);

const synced = (display: string, status = 'finished', receipt: 'van' | 'csv' = 'van') => ({
  sync_status: status as never,
  display_name: display,
  ...(status === 'finished'
    ? {
        receipt: (receipt === 'van'
          ? {
              kind: 'van',
              vanId: 1,
              dateCanvassed: '2026-10-20T20:00:00-04:00',
              requestId: 'r',
              postedAt: new Date(),
              httpStatus: 204,
            }
          : { kind: 'csv', url: 's3://callsync-exports/x.csv' }) as never,
      }
    : {}),
});

test('a full run reports counts per display name and what was synced', async () => {
  const runId = await finishedRun('good-candidate', [
    synced('Strong support'),
    synced('Strong support'),
    synced('Not home'),
    synced('Not home', 'attempted_error'),
    synced('Lean support', 'queued_for_csv'),
  ]);
  await publish({ runId, candidate: 'good-candidate', type: 'run.completed', state: 'completed' });
  const report = await deliveredReport(runId);
  expect(report).toMatchObject({ subject: 'Dialer Results for 10-20', to: 'good@example.org' });
  const [sent] = received(runId);
  expect(sent).toMatchObject({
    to: 'good@example.org',
    subject: 'Dialer Results for 10-20',
    candidate: 'good-candidate',
  });
  expect(sent!.text).toContain('Here are the dialer results for Good Candidate, 5 calls');
  expect(sent!.text).toContain('Not home: 2\nStrong support: 2\nLean support: 1');
  expect(sent!.text).toContain('We successfully synced 3, and there were 1 errors.');
  expect(await world.db.collection('reports').findOne({ _id: runId as never })).toMatchObject({
    runId,
    candidate: 'good-candidate',
    subject: 'Dialer Results for 10-20',
    text: sent!.text,
    createdAt: expect.any(Date),
    delivery: { status: 'sent', attempts: 1 },
  });
});

test('a hybrid run adds the link to the CSV of what was not synced, to save money', async () => {
  const runId = await finishedRun('broken-candidate', [
    synced('Strong support'),
    synced('Lean support'),
    // Exported to the hybrid CSV: finished, but not synced to VAN.
    synced('Left message', 'finished', 'csv'),
  ]);
  const csvUrl =
    'https://s3.example.org/callsync-exports/broken-candidate-10-20-2026-abc.csv?X-Amz-Signature=1';
  await publish({ runId, candidate: 'broken-candidate', type: 'run.completed', csvUrl });
  await deliveredReport(runId);
  const [sent] = received(runId);
  expect(sent!.text).toContain('We successfully synced 2, and there were 0 errors.');
  expect(sent!.text).toContain(`The results we did not sync to VAN, to save you money, are in this CSV`);
  expect(sent!.text).toContain(csvUrl);
});

test('an all-csv run reports the CSV link (from the run document) and the counts', async () => {
  const csvUrl = 'https://s3.example.org/callsync-exports/csv-candidate-10-20-2026-def.csv';
  const runId = await finishedRun(
    'csv-candidate',
    [synced('Strong support'), synced('Not home'), synced('Not home')],
    {
      csvUrl,
    },
  );
  await publish({ runId, candidate: 'csv-candidate', type: 'run.completed' });
  await deliveredReport(runId);
  const [sent] = received(runId);
  expect(sent!.text).toContain(
    `Your results are in this CSV file (the link expires after 2 days):\n${csvUrl}`,
  );
  expect(sent!.text).toContain('Not home: 2\nStrong support: 1');
  expect(sent!.text).toContain('We exported 3 calls.');
});

test('a run without calls says that the reporting system is up', async () => {
  const runId = await finishedRun('good-candidate', []);
  await publish({ runId, candidate: 'good-candidate', type: 'run.completed' });
  await deliveredReport(runId);
  const [sent] = received(runId);
  expect(sent!.text).toMatch(
    /^No calls were made for Good Candidate between .* so there was nothing to sync\./,
  );
  expect(sent!.text).toContain('the reporting system is up and running');
});

test('a redelivered run.completed makes no second report and sends nothing twice', async () => {
  const runId = await finishedRun('good-candidate', [synced('Strong support')]);
  await publish({ runId, candidate: 'good-candidate', type: 'run.completed' });
  await deliveredReport(runId);
  await publish({ runId, candidate: 'good-candidate', type: 'run.completed' });
  // A later event on the same partition is handled after the duplicate.
  const marker = await finishedRun('good-candidate', []);
  await publish({ runId: marker, candidate: 'good-candidate', type: 'run.completed' });
  await deliveredReport(marker);
  expect(received(runId)).toHaveLength(1);
  expect(await world.db.collection('reports').countDocuments({ runId })).toBe(1);
});

test('a failed webhook is visible on the run and the report is retried until it is sent', async () => {
  world.webhook.failNext(1_000);
  const runId = await finishedRun('good-candidate', [synced('Not home')]);
  await publish({ runId, candidate: 'good-candidate', type: 'run.completed' });
  const failed = await waitForValue(
    async () => {
      const run = await json(await world.api(`/runs/${runId}`));
      return run.report?.delivery.status === 'failed' ? run.report : undefined;
    },
    { timeoutMs: 20_000, what: 'the report delivery failed' },
  );
  expect(failed.delivery).toMatchObject({
    attempts: expect.any(Number),
    lastError: 'the report webhook answered 500',
  });
  expect(failed.delivery.attempts).toBeGreaterThanOrEqual(3);
  expect(received(runId)).toHaveLength(0);

  world.webhook.failNext(-1_000_000); // the relay is back
  const sent = await deliveredReport(runId);
  expect(sent.delivery.attempts).toBeGreaterThan(failed.delivery.attempts);
  expect(received(runId)).toHaveLength(1);
  const page = await (await world.api('/runs', { headers: { accept: 'text/html' } })).text();
  expect(page).toContain('pill ok">sent');
}, 60_000);

test('a failed run gets a report that says so', async () => {
  const runId = await finishedRun('good-candidate', [synced('Strong support')], {
    state: 'failed',
    error: 'VAN budget spent',
  });
  await publish({ runId, candidate: 'good-candidate', type: 'run.failed', error: 'VAN budget spent' });
  const report = await deliveredReport(runId);
  expect(report.subject).toBe('Dialer Results for 10-20: the sync did not finish');
  expect(received(runId)[0]!.text).toContain('stopped before the end: VAN budget spent');
});
