import { RunState, SyncStatus, scheduledTimeFor } from '@call-sync/core';
import { callsCollection, newRunDocument, runsCollection } from '@call-sync/store';
import { openDueRuns } from '../src/open-due-runs';
import {
  configurationOf,
  createTestDatabase,
  logger,
  makeCall,
  type TestDatabase,
} from './support/extractor-world';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('open-due-runs');
});
afterAll(() => database.drop());

// Eastern wall-clock times, written out: the candidate syncs at 21:00.
const at = (day: string, hour: number) => scheduledTimeFor(day, hour);

test('a scheduled run counts the unsynced calls older than its window that no scheduled run will reach', async () => {
  const { db } = database;
  const configuration = configurationOf([{ name: 'Left Behind', district: 'lb01', active: true }]);
  // The candidate's first run covered Nov 1 → 2, and none completed since (an outage).
  await runsCollection(db).insertOne({
    ...newRunDocument(
      {
        candidate: 'left-behind',
        trigger: 'schedule',
        window: { start: at('2026-11-01', 21), end: at('2026-11-02', 21) },
        scheduledAt: at('2026-11-02', 21),
        scheduledDay: '2026-11-02',
      },
      at('2026-11-02', 21),
    ),
    state: RunState.Completed,
  });
  // A run requested for Nov 9 alone completed: it says nothing of the nights before it.
  await runsCollection(db).insertOne({
    ...newRunDocument({
      candidate: 'left-behind',
      trigger: 'request',
      window: { start: at('2026-11-09', 0), end: at('2026-11-10', 0) },
      scheduledAt: at('2026-11-10', 9),
    }),
    state: RunState.Completed,
  });
  const call = (day: string, hour: number, more = {}) =>
    makeCall({ timestamp: at(day, hour), district: 'lb01', client: 'left-behind', ...more });
  await callsCollection(db).insertMany([
    call('2026-10-30', 18), // before the first run: made before syncing began
    call('2026-11-03', 18), // left behind
    call('2026-11-05', 18), // left behind
    call('2026-11-04', 18, { sync_status: SyncStatus.Finished, run_id: 'x' }), // settled
    call('2026-11-08', 18), // within the catch-up of three days: the run takes it
  ]);

  const [run] = await openDueRuns(db, logger, configuration, {
    now: at('2026-11-10', 22),
    maxCatchUpDays: 3,
  });

  // Catch-up reaches back three days of boundaries: from Nov 6, 21:00.
  expect(run!.window).toEqual({ start: at('2026-11-06', 21), end: at('2026-11-10', 21) });
  const leftBehind = { calls: 2, before: at('2026-11-06', 21), since: at('2026-11-01', 21) };
  expect(run!.leftBehind).toEqual(leftBehind);
  expect((await runsCollection(db).findOne({ _id: run!.runId }))?.leftBehind).toEqual(leftBehind);
});

test("a candidate's first run leaves nothing behind: earlier calls predate syncing", async () => {
  const { db } = database;
  const configuration = configurationOf([{ name: 'First Night', district: 'fn01', active: true }]);
  await callsCollection(db).insertOne(
    makeCall({ timestamp: at('2026-10-01', 18), district: 'fn01', client: 'first-night' }),
  );
  const [run] = await openDueRuns(db, logger, configuration, {
    now: at('2026-11-10', 22),
    maxCatchUpDays: 3,
  });
  expect(run!.leftBehind).toBeUndefined();
  expect((await runsCollection(db).findOne({ _id: run!.runId }))?.leftBehind).toBeUndefined();
});
