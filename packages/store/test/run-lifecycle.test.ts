import type { Db } from 'mongodb';
import { RunState, type RunEvent } from '@call-sync/core';
import {
  connectMongo,
  createLogger,
  ensureIndexes,
  type MongoConnection,
  type Publisher,
} from '@call-sync/platform';
import { completeRun, newRunDocument, republishPendingFinalEvents, runsCollection } from '@call-sync/store';
import { serverEnv, uniqueName } from '../../../test/support/env';

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

/** The Kafka edge: records what would reach the topic, or fails as a broker that is down. */
function topicPublisher(options: { down?: boolean } = {}): Publisher & { events: RunEvent[] } {
  const events: RunEvent[] = [];
  return {
    events,
    async publish(_topic, schema, messages) {
      if (options.down) throw new Error('broker unavailable');
      for (const message of messages) events.push(schema.parse(message.value) as RunEvent);
    },
    disconnect: async () => undefined,
  };
}

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
  await expect(completeRun({ db, logger, publisher: topicPublisher({ down: true }) }, runId)).rejects.toThrow(
    'broker unavailable',
  );
  const stored = await runsCollection(db).findOne({ _id: runId });
  expect(stored).toMatchObject({ state: RunState.Completed, finalEventPending: true });

  const publisher = topicPublisher();
  // Within the grace period the sweep leaves it to the worker that may still be publishing.
  expect(await republishPendingFinalEvents({ db, logger, publisher }, { olderThanMs: 60_000 })).toEqual([]);
  const later = new Date(Date.now() + 120_000);
  expect(
    await republishPendingFinalEvents({ db, logger, publisher }, { olderThanMs: 60_000, now: later }),
  ).toEqual([runId]);
  expect(publisher.events).toEqual([expect.objectContaining({ runId, type: 'run.completed' })]);
  expect((await runsCollection(db).findOne({ _id: runId }))?.finalEventPending).toBeUndefined();

  // Sent once: the next sweep finds nothing.
  expect(
    await republishPendingFinalEvents({ db, logger, publisher }, { olderThanMs: 60_000, now: later }),
  ).toEqual([]);
});

test('a run completed normally leaves nothing for the sweep', async () => {
  const runId = await writingRun();
  const publisher = topicPublisher();
  await completeRun({ db, logger, publisher }, runId);
  expect(publisher.events.map((e) => e.type)).toEqual(['run.completed']);
  const later = new Date(Date.now() + 120_000);
  expect(
    await republishPendingFinalEvents({ db, logger, publisher }, { olderThanMs: 60_000, now: later }),
  ).not.toContain(runId);
});
