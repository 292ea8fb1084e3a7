import type { Db } from 'mongodb';
import { RunState, SyncStatus, type Call, type RunEvent } from '@call-sync/core';
import { connectMongo, createLogger, ensureIndexes, type MongoConnection } from '@call-sync/platform';
import {
  advanceRun,
  callsCollection,
  completeRun,
  failRun,
  markPosting,
  newRunDocument,
  OUTCOME_UNKNOWN,
  republishPendingFinalEvents,
  runsCollection,
} from '@call-sync/store';
import { serverEnv, uniqueName } from '../../../test/support/env';
import { recordingPublisher, type RecordingPublisher } from '../../../test/support/publisher';

let connection: MongoConnection;
let db: Db;
const logger = createLogger('run-lifecycle-test', 'silent');

beforeAll(async () => {
  connection = await connectMongo(serverEnv().mongoUrl, uniqueName('run-lifecycle'));
  db = connection.db;
  await ensureIndexes(db);
});

afterAll(async () => {
  await db.dropDatabase();
  await connection.close();
});

/** What reached the topics: only run events, in these tests. */
const events = (publisher: RecordingPublisher): RunEvent[] => publisher.sent.map((m) => m.value as RunEvent);

async function writingRun(): Promise<string> {
  const run = newRunDocument({
    candidate: 'maria-lopez',
    trigger: 'schedule',
    window: { start: new Date('2026-10-19T02:00:00Z'), end: new Date('2026-10-20T02:00:00Z') },
    scheduledAt: new Date('2026-10-20T02:00:00Z'),
  });
  await runsCollection(db).insertOne({ ...run, state: RunState.Writing });
  return run.runId;
}

test('a run completed while the broker is down keeps its final event pending until the sweep sends it', async () => {
  const runId = await writingRun();
  await expect(
    completeRun({ db, logger, publisher: recordingPublisher({ down: true }) }, runId),
  ).rejects.toThrow('broker unavailable');
  const stored = await runsCollection(db).findOne({ _id: runId });
  expect(stored).toMatchObject({ state: RunState.Completed, finalEventPending: true });

  const publisher = recordingPublisher();
  // Within the grace period the sweep leaves it to the worker that may still be publishing.
  expect(await republishPendingFinalEvents({ db, logger, publisher }, { olderThanMs: 60_000 })).toEqual([]);
  const later = new Date(Date.now() + 120_000);
  expect(
    await republishPendingFinalEvents({ db, logger, publisher }, { olderThanMs: 60_000, now: later }),
  ).toEqual([runId]);
  expect(events(publisher)).toEqual([expect.objectContaining({ runId, type: 'run.completed' })]);
  expect((await runsCollection(db).findOne({ _id: runId }))?.finalEventPending).toBeUndefined();

  // Sent once: the next sweep finds nothing.
  expect(
    await republishPendingFinalEvents({ db, logger, publisher }, { olderThanMs: 60_000, now: later }),
  ).toEqual([]);
});

test('a run whose final event failed gets it from the next message about the run, not an hour later', async () => {
  const runId = await writingRun();
  await expect(
    completeRun({ db, logger, publisher: recordingPublisher({ down: true }) }, runId),
  ).rejects.toThrow('broker unavailable');

  // The message that ended the run is delivered again (its handler failed) and advances the run.
  const publisher = recordingPublisher();
  const run = await advanceRun({ db, logger, publisher }, runId);
  expect(run?.state).toBe(RunState.Completed);
  expect(events(publisher)).toEqual([expect.objectContaining({ runId, type: 'run.completed' })]);
  expect((await runsCollection(db).findOne({ _id: runId }))?.finalEventPending).toBeUndefined();

  await advanceRun({ db, logger, publisher }, runId);
  expect(events(publisher)).toHaveLength(1);
});

test('a run completed normally leaves nothing for the sweep', async () => {
  const runId = await writingRun();
  const publisher = recordingPublisher();
  await completeRun({ db, logger, publisher }, runId);
  expect(events(publisher).map((e) => e.type)).toEqual(['run.completed']);
  const later = new Date(Date.now() + 120_000);
  expect(
    await republishPendingFinalEvents({ db, logger, publisher }, { olderThanMs: 60_000, now: later }),
  ).not.toContain(runId);
});

function claimedCall(id: string, runId: string, status: SyncStatus): Call {
  const at = new Date('2026-10-20T00:00:00Z');
  return {
    id,
    account_number: `nc05-van-${id}`,
    district: 'nc05',
    system_id: 'van',
    voter_id: id,
    first_name: 'Ana',
    last_name: 'Chen',
    phone_dialed: '9195550000',
    start_time: at,
    timestamp: at,
    caller_login: 'caller1',
    lv_result: 'Not Home',
    full_on_screen_result: 'not home',
    sync_status: status,
    run_id: runId,
    display_name: 'Not home',
  };
}

test('a failed run gives back the calls it never posted and flags the one caught mid-post, so none is lost or posted twice', async () => {
  const runId = await writingRun();
  const ids = ['f-1', 'f-2', 'f-3', 'f-4'].map((id) => `${id}-${runId}`);
  await callsCollection(db).insertMany([
    claimedCall(ids[0]!, runId, SyncStatus.InProgress),
    claimedCall(ids[1]!, runId, SyncStatus.InProgress),
    claimedCall(ids[2]!, runId, SyncStatus.InProgress),
    claimedCall(ids[3]!, runId, SyncStatus.Finished),
  ]);
  // A writer took the posting mark for the third call, then died before recording VAN's answer.
  expect((await markPosting(db, runId, ids[2]!, 'request-1')).kind).toBe('marked');

  const publisher = recordingPublisher();
  const failed = await failRun({ db, logger, publisher }, runId, 'no progress for 30 minutes');

  const byId = new Map(
    (
      await callsCollection(db)
        .find({ id: { $in: ids } })
        .toArray()
    ).map((c) => [c.id, c]),
  );
  for (const id of [ids[0]!, ids[1]!]) {
    expect(byId.get(id)?.sync_status).toBeUndefined();
    expect(byId.get(id)?.run_id).toBeUndefined();
  }
  expect(byId.get(ids[2]!)).toMatchObject({
    sync_status: SyncStatus.AttemptedError,
    outcome_unknown: true,
    error: expect.stringContaining(OUTCOME_UNKNOWN),
  });
  expect(byId.get(ids[3]!)?.sync_status).toBe(SyncStatus.Finished);
  expect(failed?.counts).toMatchObject({ in_progress: 0, finished: 1, attempted_error: 1 });
  expect(events(publisher)).toEqual([
    expect.objectContaining({ runId, type: 'run.failed', error: 'no progress for 30 minutes' }),
  ]);
  // A writer still holding a message of the failed run finds nothing to post.
  expect((await markPosting(db, runId, ids[0]!, 'request-2')).kind).toBe('settled');
});

test('a run whose live counter was left one call too high still completes once its calls are done', async () => {
  const runId = await writingRun();
  const ids = ['c-1', 'c-2'].map((id) => `${id}-${runId}`);
  await callsCollection(db).insertMany(ids.map((id) => claimedCall(id, runId, SyncStatus.Finished)));
  // A writer's decrement went missing (killed between outcome and counter, or a lost update).
  await runsCollection(db).updateOne(
    { _id: runId },
    {
      $set: {
        'counts.in_progress': 1,
        'counts.finished': 1,
        callsClaimed: 2,
        // Its caller file is written: completion waits for nothing else.
        callerCsvUrl: 'https://s3.example/agents.csv',
      },
    },
  );
  const publisher = recordingPublisher();
  const run = await advanceRun({ db, logger, publisher }, runId);
  expect(run?.state).toBe(RunState.Completed);
  expect(run?.counts).toMatchObject({ in_progress: 0, finished: 2 });
  expect(events(publisher).map((e) => e.type)).toEqual(['run.completed']);
});

test('advancing a live run never writes a recount over the counters writers are moving', async () => {
  const runId = await writingRun();
  await callsCollection(db).insertMany([
    claimedCall(`l-1-${runId}`, runId, SyncStatus.InProgress),
    claimedCall(`l-2-${runId}`, runId, SyncStatus.Finished),
  ]);
  // What the live counters say at this instant (writers' $inc in flight may differ from a read).
  const live = { 'counts.in_progress': 7, 'counts.finished': 40 };
  await runsCollection(db).updateOne({ _id: runId }, { $set: live });
  const run = await advanceRun({ db, logger, publisher: recordingPublisher() }, runId, { exact: true });
  expect(run?.state).toBe(RunState.Writing);
  const stored = await runsCollection(db).findOne({ _id: runId });
  expect(stored?.counts).toMatchObject({ in_progress: 7, finished: 40 });
});

test('a failed hybrid run hands its undelivered CSV calls back to the next run; a full run keeps them', async () => {
  for (const [strategy, expected] of [
    ['hybrid', undefined],
    ['full', SyncStatus.QueuedForCsv],
  ] as const) {
    const runId = await writingRun();
    await runsCollection(db).updateOne({ _id: runId }, { $set: { strategy } });
    const id = `queued-${strategy}-${runId}`;
    await callsCollection(db).insertOne(claimedCall(id, runId, SyncStatus.QueuedForCsv));
    await failRun({ db, logger, publisher: recordingPublisher() }, runId, 'S3 unreachable');
    const call = await callsCollection(db).findOne({ id });
    expect([strategy, call?.sync_status]).toEqual([strategy, expected]);
    if (expected === undefined) expect(call?.run_id).toBeUndefined();
  }
});
