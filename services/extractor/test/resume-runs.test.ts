import { emptyRunCounts, RunEvent, RunState, SyncStatus, VanSyncMessage, type Call } from '@call-sync/core';
import {
  createKafka,
  createMetricsRegistry,
  createPublisher,
  ensureTopics,
  startConsumer,
  Topics,
  type Publisher,
  type RunningConsumer,
  type Kafka,
} from '@call-sync/platform';
import {
  callsCollection,
  findRun,
  incrementRunCounters,
  newRunDocument,
  runsCollection,
  type RunDocument,
} from '@call-sync/store';
import { serverEnv, uniqueName } from '../../../test/support/env';
import { freshGroup } from '../../../test/support/consumer-groups';
import { waitUntil } from '@call-sync/testkit';
import { checkLiveRuns } from '../src/resume-runs';
import { createTestDatabase, logger, makeCall, type TestDatabase } from './support/extractor-world';

// The hourly check of live runs, on real MongoDB and Kafka: what it re-publishes is read back
// from the topics by a consumer group of the test's own.

let database: TestDatabase;
let kafka: Kafka;
let publisher: Publisher;
const consumers: RunningConsumer[] = [];
const vanSync: { key: string | null; value: VanSyncMessage }[] = [];
const runEvents: RunEvent[] = [];

beforeAll(async () => {
  database = await createTestDatabase('resume-runs');
  kafka = createKafka(uniqueName('resume-runs'), serverEnv().kafkaBrokers, logger).kafka;
  await ensureTopics(kafka, Object.values(Topics));
  publisher = await createPublisher(kafka);
  consumers.push(
    ...(await Promise.all([
      startConsumer({
        kafka,
        groupId: await freshGroup('resume-runs-van', [Topics.VanSync]),
        topic: Topics.VanSync,
        schema: VanSyncMessage,
        logger,
        publisher,
        handle: async (value, meta) => {
          vanSync.push({ key: meta.key, value });
        },
      }),
      startConsumer({
        kafka,
        groupId: await freshGroup('resume-runs-events', [Topics.RunEvents]),
        topic: Topics.RunEvents,
        schema: RunEvent,
        logger,
        publisher,
        handle: async (value) => {
          runEvents.push(value);
        },
      }),
    ])),
  );
});

afterAll(async () => {
  await Promise.all(consumers.map((c) => c.stop()));
  await publisher.disconnect();
  await database.drop();
});

const MINUTE = 60_000;
const STALL = 30 * MINUTE;

/**
 * Every van-sync message of the candidate so far: a marker published last on the candidate's key
 * (so the same partition, after everything published before it) says when they have all arrived.
 */
async function vanSyncOf(candidate: string): Promise<VanSyncMessage[]> {
  const marker = uniqueName('marker');
  await publisher.publish(Topics.VanSync, VanSyncMessage, [
    { key: candidate, value: { v: 1, runId: marker, candidate, callIds: [marker] } },
  ]);
  await waitUntil(() => vanSync.some((m) => m.value.runId === marker), {
    what: 'the marker back from Kafka',
  });
  return vanSync
    .filter((m) => m.key === candidate && !m.value.runId.startsWith('marker-'))
    .map((m) => m.value);
}

/** A `full` run being written: one call posted, two still claimed (in progress). */
async function writingRun(changes: Partial<RunDocument>): Promise<{ run: RunDocument; pending: Call[] }> {
  const candidate = uniqueName('candidate');
  const startedAt = new Date('2026-10-21T02:00:00Z');
  const run: RunDocument = {
    ...newRunDocument({
      candidate,
      trigger: 'schedule',
      window: { start: new Date('2026-10-20T04:00:00Z'), end: new Date('2026-10-21T04:00:00Z') },
      scheduledAt: startedAt,
    }),
    state: RunState.Writing,
    strategy: 'full',
    startedAt,
    callsClaimed: 3,
    counts: { ...emptyRunCounts(), [SyncStatus.InProgress]: 2, [SyncStatus.Finished]: 1 },
    progress: { callsDecided: 3, vanCalls: 3, vanDone: 1, lastActivityAt: startedAt },
    ...changes,
  };
  const vanRequest = {
    vanId: 100_001,
    body: {
      canvassContext: { contactTypeId: 1, inputTypeId: 11, dateCanvassed: '2026-10-20' },
      resultCodeId: 1,
    },
  };
  const claimed = { run_id: run.runId, van_request: vanRequest, client: candidate };
  const pending = [
    makeCall({ timestamp: new Date('2026-10-20T22:00:00Z'), ...claimed, sync_status: SyncStatus.InProgress }),
    makeCall({ timestamp: new Date('2026-10-20T22:05:00Z'), ...claimed, sync_status: SyncStatus.InProgress }),
  ];
  const posted = makeCall({
    timestamp: new Date('2026-10-20T22:10:00Z'),
    ...claimed,
    sync_status: SyncStatus.Finished,
  });
  await runsCollection(database.db).insertOne(run);
  await callsCollection(database.db).insertMany([...pending, posted].map((c) => ({ ...c })));
  return { run, pending };
}

beforeEach(async () => {
  await runsCollection(database.db).deleteMany({});
});

test('a stalled run is re-published once, and failed with the reason when it stalls again', async () => {
  const { db } = database;
  const registry = createMetricsRegistry('extractor');
  const deps = { db, publisher, logger, registry, vanSyncBatchSize: 50 };
  const { run, pending } = await writingRun({});
  const lastActivity = run.progress!.lastActivityAt.getTime();

  // 29 minutes without progress: still healthy.
  expect(
    await checkLiveRuns(deps, { now: new Date(lastActivity + 29 * MINUTE), stallAfterMs: STALL }),
  ).toEqual({
    [run.runId]: 'healthy',
  });
  expect(await vanSyncOf(run.candidate)).toEqual([]);

  // 31 minutes: its calls still in progress go back on the topic, once.
  const resumedAt = new Date(lastActivity + 31 * MINUTE);
  expect(await checkLiveRuns(deps, { now: resumedAt, stallAfterMs: STALL })).toEqual({
    [run.runId]: 'resumed',
  });
  expect(await vanSyncOf(run.candidate)).toEqual([
    { v: 1, runId: run.runId, candidate: run.candidate, callIds: pending.map((c) => c.id).sort() },
  ]);
  expect(await findRun(db, run.runId)).toMatchObject({ state: RunState.Writing, resumedAt });

  // The resume counts as activity; then nothing moves again for the stall time: failed, loudly.
  expect(
    await checkLiveRuns(deps, { now: new Date(resumedAt.getTime() + 20 * MINUTE), stallAfterMs: STALL }),
  ).toEqual({ [run.runId]: 'healthy' });
  expect(
    await checkLiveRuns(deps, { now: new Date(resumedAt.getTime() + 31 * MINUTE), stallAfterMs: STALL }),
  ).toEqual({ [run.runId]: 'failed' });
  const reason = 'no progress for 30 minutes, even after a resume';
  expect(await findRun(db, run.runId)).toMatchObject({ state: RunState.Failed, error: reason });
  expect(await vanSyncOf(run.candidate)).toHaveLength(1);
  const finalEvents = () => runEvents.filter((e) => e.runId === run.runId && e.type !== 'run.progress');
  await waitUntil(() => finalEvents().length > 0, { what: 'the run.failed event' });
  expect(finalEvents()).toEqual([
    expect.objectContaining({ type: 'run.failed', state: RunState.Failed, error: reason }),
  ]);
  const alerts = (await registry.getMetricsAsJSON()).find((m) => m.name === 'callsync_run_alerts_total');
  expect(alerts?.values.map((v) => [v.labels.reason, v.value])).toEqual([
    ['run_stalled_resumed', 1],
    ['run_stalled_failed', 1],
  ]);
  // A finished run is not checked again.
  expect(
    await checkLiveRuns(deps, { now: new Date(resumedAt.getTime() + 90 * MINUTE), stallAfterMs: STALL }),
  ).toEqual({});
});

test('a run that moved after its resume is resumed again at its next stall, not failed', async () => {
  const { db } = database;
  const deps = { db, publisher, logger, vanSyncBatchSize: 50 };
  const { run } = await writingRun({});
  const firstStall = new Date(run.progress!.lastActivityAt.getTime() + 31 * MINUTE);
  expect(await checkLiveRuns(deps, { now: firstStall, stallAfterMs: STALL })).toEqual({
    [run.runId]: 'resumed',
  });

  // A writer takes the resumed work (one call posted), then a second restart later in the night
  // leaves the run quiet again for the stall time.
  const moved = new Date(firstStall.getTime() + 5 * MINUTE);
  await incrementRunCounters(
    db,
    run.runId,
    { counts: { [SyncStatus.InProgress]: -1, [SyncStatus.Finished]: 1 } },
    moved,
  );
  const secondStall = new Date(moved.getTime() + 31 * MINUTE);
  expect(await checkLiveRuns(deps, { now: secondStall, stallAfterMs: STALL })).toEqual({
    [run.runId]: 'resumed',
  });
  expect(await findRun(db, run.runId)).toMatchObject({ state: RunState.Writing, resumedAt: secondStall });
  expect(await vanSyncOf(run.candidate)).toHaveLength(2);

  // Nothing moves after this resume: failed, as any run that a resume did not help.
  expect(
    await checkLiveRuns(deps, { now: new Date(secondStall.getTime() + 31 * MINUTE), stallAfterMs: STALL }),
  ).toEqual({ [run.runId]: 'failed' });
  expect(await findRun(db, run.runId)).toMatchObject({
    state: RunState.Failed,
    error: 'no progress for 30 minutes, even after a resume',
  });
});

test('a run waiting for the daily VAN budget waits out the Eastern day, then is re-published', async () => {
  const { db } = database;
  const deps = { db, publisher, logger, vanSyncBatchSize: 50 };
  // The budget ran out at 23:00 Eastern on October 20 (03:00 UTC on the 21st).
  const waitingSince = new Date('2026-10-21T03:00:00Z');
  const { run, pending } = await writingRun({
    waitingFor: 'the VAN daily request budget is spent',
    progress: { callsDecided: 3, vanCalls: 3, vanDone: 1, lastActivityAt: waitingSince },
  });
  await runsCollection(db).updateOne({ _id: run.runId }, { $set: { waitingSince } });

  // 23:50 Eastern, the same campaign day (already the 21st in UTC): it waits, and is not "stalled".
  expect(await checkLiveRuns(deps, { now: new Date('2026-10-21T03:50:00Z'), stallAfterMs: STALL })).toEqual({
    [run.runId]: 'waiting',
  });
  expect(await vanSyncOf(run.candidate)).toEqual([]);

  // 00:10 Eastern on the 21st: a new day of budget, the claimed calls go back on the topic.
  const nextDay = new Date('2026-10-21T04:10:00Z');
  expect(await checkLiveRuns(deps, { now: nextDay, stallAfterMs: STALL })).toEqual({
    [run.runId]: 'budget-resumed',
  });
  expect(await vanSyncOf(run.candidate)).toEqual([
    { v: 1, runId: run.runId, candidate: run.candidate, callIds: pending.map((c) => c.id).sort() },
  ]);
  const resumed = await findRun(db, run.runId);
  expect(resumed).toMatchObject({ state: RunState.Writing, progress: { lastActivityAt: nextDay } });
  expect(resumed).not.toHaveProperty('waitingFor');
  expect(resumed).not.toHaveProperty('waitingSince');
});
