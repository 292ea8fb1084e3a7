import type { Db } from 'mongodb';
import { emptyRunCounts, fingerprintApiKey, RunState, SyncStatus } from '@call-sync/core';
import { createLogger, createMetricsRegistry, type Publisher } from '@call-sync/platform';
import {
  callsCollection,
  claimCalls,
  createMongoRequestBudget,
  findRun,
  newRunDocument,
  runsCollection,
} from '@call-sync/store';
import { CONTRACT_FIXTURE_PATH, loadFixture, type VanSandbox } from '@call-sync/sandbox';
import { uniqueName } from '../../../test/support/env';
import { postCanvassResponses, type CandidateVanAccess } from '../src/post-canvass-responses';
import { notHome, startVanWriterWorld, type VanWriterWorld } from './support/van-writer-world';

// The van-writer when the key's daily budget (shared in Mongo by every replica) runs out in the
// middle of a message: on real MongoDB, Kafka and the VAN sandbox.

const logger = createLogger('van-writer-test', 'silent');
const key = loadFixture(CONTRACT_FIXTURE_PATH).van.keys[0]!;
const DAILY_BUDGET = 10;
const DAY = 86_400_000;

let world: VanWriterWorld;
let van: VanSandbox;
let db: Db;
let publisher: Publisher;

beforeAll(async () => {
  world = await startVanWriterWorld('van-writer-budget');
  ({ van, db, publisher } = world);
});

afterAll(() => world.close());

const vanAccess = (now?: () => Date): CandidateVanAccess => world.vanAccess(DAILY_BUDGET, now);

test('a spent daily budget leaves the rest of the calls claimed and the run waiting, not failed', async () => {
  const candidate = uniqueName('budget-candidate');
  const run = {
    ...newRunDocument({
      candidate,
      trigger: 'schedule',
      window: { start: new Date('2026-10-20T04:00:00Z'), end: new Date('2026-10-21T04:00:00Z') },
      scheduledAt: new Date('2026-10-21T02:00:00Z'),
    }),
    state: RunState.Writing,
    strategy: 'full' as const,
    startedAt: new Date(),
    callsClaimed: 5,
    counts: { ...emptyRunCounts(), [SyncStatus.InProgress]: 5 },
  };
  await runsCollection(db).insertOne(run);
  const callIds = Array.from({ length: 5 }, (_, i) => `${candidate}-call-${i}`);
  await callsCollection(db).insertMany(
    callIds.map((id, i) => {
      const at = new Date(`2026-10-20T22:0${i}:00Z`);
      return {
        id,
        account_number: `nc05-van-${100_100 + i}`,
        district: 'nc05',
        system_id: 'van',
        voter_id: String(100_100 + i),
        first_name: 'Ada',
        last_name: 'Lovelace',
        phone_dialed: '9195550101',
        start_time: at,
        timestamp: at,
        caller_login: 'vol_ana',
        lv_result: 'NO ANSWER',
        full_on_screen_result: 'not home',
      };
    }),
  );
  await claimCalls(
    db,
    run.runId,
    callIds.map((callId, i) => ({
      callId,
      status: SyncStatus.InProgress,
      vanRequest: { vanId: 100_100 + i, body: notHome('2026-10-20') },
    })),
  );
  // Another writer replica spent 8 of the key's 10 requests today.
  const elsewhere = createMongoRequestBudget(db, fingerprintApiKey(key.apiKey), DAILY_BUDGET);
  for (let i = 0; i < 8; i += 1) expect(await elsewhere.tryConsume()).toBe(true);
  const registry = createMetricsRegistry('van-writer');
  const message = { v: 1 as const, runId: run.runId, candidate, callIds };
  const access = vanAccess();

  const result = await postCanvassResponses(
    { db, publisher, logger, registry, concurrency: 4, vanAccessFor: async () => access },
    message,
  );

  // Two posts, then the budget: the message is done (no retry) and says why it stopped.
  expect(result).toEqual({ outcomes: { [SyncStatus.Finished]: 2 }, budgetExhausted: true });
  expect(van.journal()).toHaveLength(2);
  const calls = await callsCollection(db).find({ run_id: run.runId }).toArray();
  const finished = calls.filter((c) => c.sync_status === SyncStatus.Finished);
  const waiting = calls.filter((c) => c.sync_status === SyncStatus.InProgress);
  expect(finished).toHaveLength(2);
  expect(waiting).toHaveLength(3);
  // The posting mark was given back: the request never left, so tomorrow may post it.
  for (const call of waiting) {
    expect(call.posting_started_at).toBeUndefined();
    expect(call.error).toBeUndefined();
  }
  const stored = await findRun(db, run.runId);
  expect(stored).toMatchObject({
    state: RunState.Writing,
    waitingFor: 'the VAN daily request budget is spent',
    vanRequestsUsed: 2,
    counts: { [SyncStatus.InProgress]: 3, [SyncStatus.Finished]: 2 },
  });
  expect(stored).not.toHaveProperty('error');
  expect((stored as { waitingSince?: unknown }).waitingSince).toBeInstanceOf(Date);
  const gauge = (await registry.getMetricsAsJSON()).find((m) => m.name === 'callsync_van_budget_remaining');
  expect(gauge?.values.map((v) => [v.labels.candidate, v.value])).toEqual([[candidate, 0]]);

  // The next Eastern day the extractor re-publishes the claimed calls: each is posted once.
  const tomorrow = vanAccess(() => new Date(Date.now() + DAY));
  await postCanvassResponses(
    { db, publisher, logger, registry, concurrency: 4, vanAccessFor: async () => tomorrow },
    { ...message, callIds: waiting.map((c) => c.id) },
  );
  const posted = van.journal().map((entry) => entry.vanId);
  expect(posted.sort()).toEqual(callIds.map((_, i) => 100_100 + i));
  // Every call has its outcome: the run moves on to its caller file (the csv-writer's part).
  expect(await findRun(db, run.runId)).toMatchObject({
    state: RunState.Exporting,
    counts: { [SyncStatus.InProgress]: 0, [SyncStatus.Finished]: 5 },
  });
});
