import type { Db } from 'mongodb';
import { emptyRunCounts, fingerprintApiKey, RunState, SyncStatus, type Call } from '@call-sync/core';
import { createTokenBucket } from '@call-sync/integrations';
import { createLogger, createMetricsRegistry, PermanentMessageError } from '@call-sync/platform';
import {
  callsCollection,
  claimCalls,
  createMongoRequestBudget,
  findRun,
  newRunDocument,
  runsCollection,
} from '@call-sync/store';
import {
  CONTRACT_FIXTURE_PATH,
  loadFixture,
  startAirtableSandbox,
  type AirtableSandbox,
  type VanSandbox,
} from '@call-sync/sandbox';
import { makeCall } from '../../../test/support/calls';
import { uniqueName } from '../../../test/support/env';
import { recordingPublisher } from '../../../test/support/publisher';
import { waitUntil } from '@call-sync/testkit';
import { createCandidateVanAccess, vanAccessWithBudget } from '../src/candidate-van-access';
import { postCanvassResponses, RetryLaterError, type PostDeps } from '../src/post-canvass-responses';
import { loadVanWriterSettings } from '../src/settings';
import { writerCommits } from '../src/writer-commits';
import { notHome, startVanWriterWorld, type VanWriterWorld } from './support/van-writer-world';

// What the van-writer does when something goes wrong in the middle of a message, on the real
// MongoDB-wire server and the VAN and Airtable sandboxes. VAN's journal is the judge: each call
// at most once, and no post VAN accepted may lose its receipt.

const logger = createLogger('van-writer-faults', 'silent');
const fixture = loadFixture(CONTRACT_FIXTURE_PATH);
const key = fixture.van.keys[0]!;

let world: VanWriterWorld;
let van: VanSandbox;
let airtable: AirtableSandbox;
let db: Db;

/** Run events are not what these tests are about: the Kafka edge keeps them in memory. */
const publisher = recordingPublisher();

beforeAll(async () => {
  world = await startVanWriterWorld('van-writer-faults', { publisher });
  ({ van, db } = world);
  airtable = await startAirtableSandbox({ fixture: fixture.airtable, knobs: { ratePerSecondPerBase: 0 } });
});

afterAll(async () => {
  await world.close();
  await airtable.close();
});

beforeEach(() => van.reset());

const access = () => world.vanAccess(10_000);

/** A writing run of `count` calls claimed for VAN, each with its own VAN id. */
async function writingRun(
  count: number,
  vanIdOf: (i: number) => number = (i) => 100_200 + i,
): Promise<{ runId: string; candidate: string; calls: Call[] }> {
  const candidate = uniqueName('faults');
  const run = {
    ...newRunDocument({
      candidate,
      trigger: 'schedule',
      window: { start: new Date('2026-10-20T04:00:00Z'), end: new Date('2026-10-21T04:00:00Z') },
      scheduledAt: new Date('2026-10-21T04:00:00Z'),
    }),
    state: RunState.Writing,
    strategy: 'full' as const,
    startedAt: new Date(),
    callsClaimed: count,
    counts: { ...emptyRunCounts(), [SyncStatus.InProgress]: count },
  };
  await runsCollection(db).insertOne(run);
  const calls = Array.from({ length: count }, (_, i) =>
    makeCall({ timestamp: new Date(`2026-10-20T22:${String(10 + i)}:00Z`), client: candidate }),
  );
  await callsCollection(db).insertMany(calls);
  await claimCalls(
    db,
    run.runId,
    calls.map((c, i) => ({
      callId: c.id,
      status: SyncStatus.InProgress,
      vanRequest: { vanId: vanIdOf(i), body: notHome() },
    })),
  );
  return { runId: run.runId, candidate, calls };
}

const deps = (vanAccessFor: PostDeps['vanAccessFor']): PostDeps => ({
  db,
  publisher,
  logger,
  concurrency: 4,
  vanAccessFor,
});

test('one call whose mark fails mid-message: the others keep their receipts, none is flagged, none posted twice', async () => {
  const { runId, candidate, calls } = await writingRun(6);
  // A write MongoDB refuses for this one call only ($inc on text): the mark fails while the
  // other posts of the message are in flight.
  const broken = calls[2]!.id;
  await callsCollection(db).updateOne({ id: broken }, { $set: { attempts: 'not a number' as never } });
  const writer = access();
  const message = { v: 1 as const, runId, candidate, callIds: calls.map((c) => c.id) };

  await expect(
    postCanvassResponses(
      deps(async () => writer),
      message,
    ),
  ).rejects.toBeInstanceOf(RetryLaterError);

  const afterFirst = new Map(
    (await callsCollection(db).find({ run_id: runId }).toArray()).map((c) => [c.id, c]),
  );
  for (const call of calls.filter((c) => c.id !== broken)) {
    expect(afterFirst.get(call.id)).toMatchObject({
      sync_status: SyncStatus.Finished,
      receipt: { kind: 'van' },
    });
  }
  expect(afterFirst.get(broken)?.sync_status).toBe(SyncStatus.InProgress);
  expect(afterFirst.get(broken)?.posting_started_at).toBeUndefined();
  expect(van.journal()).toHaveLength(5);
  // The finished posts are counted on the run before the message fails.
  expect((await findRun(db, runId))?.counts).toMatchObject({ in_progress: 1, finished: 5 });

  // Mongo is healthy again; Kafka redelivers the whole message.
  await callsCollection(db).updateOne({ id: broken }, { $set: { attempts: 0 } });
  await postCanvassResponses(
    deps(async () => writer),
    message,
  );

  const stored = await callsCollection(db).find({ run_id: runId }).toArray();
  expect(stored.every((c) => c.sync_status === SyncStatus.Finished)).toBe(true);
  expect(stored.filter((c) => c.outcome_unknown)).toEqual([]);
  const posted = van.journal().map((entry) => entry.vanId);
  expect(posted.sort()).toEqual([100_200, 100_201, 100_202, 100_203, 100_204, 100_205]);
  // Every call has its outcome: the run moves on to its caller file.
  expect(await findRun(db, runId)).toMatchObject({ state: RunState.Exporting, counts: { finished: 6 } });
});

test('two writers racing on one call: the second finds it mid-post under a live lease and waits, the first posts', async () => {
  const { runId, candidate, calls } = await writingRun(1);
  const message = { v: 1 as const, runId, candidate, callIds: [calls[0]!.id] };
  van.setKnobs({ latencyMs: 1_500 });
  // Two writers (a redelivery after a rebalance): each its own window and client.
  const first = postCanvassResponses(
    deps(async () => access()),
    message,
  );
  await waitUntil(
    async () => !!(await callsCollection(db).findOne({ id: calls[0]!.id }))?.posting_started_at,
    {
      what: 'the first writer marking the call',
    },
  );
  await expect(
    postCanvassResponses(
      deps(async () => access()),
      message,
    ),
  ).rejects.toThrow(/another writer holds its posting mark/);
  await first;
  const stored = await callsCollection(db).findOne({ id: calls[0]!.id });
  expect(stored).toMatchObject({ sync_status: SyncStatus.Finished, receipt: { kind: 'van' } });
  expect(stored).not.toHaveProperty('outcome_unknown');
  // The second writer's redelivery finds it settled; VAN has it once.
  await postCanvassResponses(
    deps(async () => access()),
    message,
  );
  expect(van.journal()).toHaveLength(1);
  expect((await findRun(db, runId))?.counts).toMatchObject({
    in_progress: 0,
    finished: 1,
    attempted_error: 0,
  });
});

test("a live writer's marks outlive their lease while its posts are out; a dead one's lapse", async () => {
  const { runId, calls } = await writingRun(2);
  const leases = writerCommits(db, 600);
  const marks = await leases.marks.submit(calls.map((c) => ({ runId, callId: c.id })));
  const [kept, dropped] = marks.map((m) => (m.kind === 'marked' ? m.requestId : ''));
  leases.leases.hold(calls[0]!.id, kept!);
  leases.leases.hold(calls[1]!.id, dropped!);
  leases.leases.drop(calls[1]!.id); // its post ended (or its writer died): no one renews it
  const leaseOf = async (id: string) => (await callsCollection(db).findOne({ id }))!.posting_lease_until!;
  await waitUntil(async () => (await leaseOf(calls[1]!.id)).getTime() < Date.now(), {
    what: 'the dropped mark lapsing',
  });
  expect((await leaseOf(calls[0]!.id)).getTime()).toBeGreaterThan(Date.now());
  leases.leases.drop(calls[0]!.id);
});

test('a mark whose lease ran out (its writer died mid-post) is flagged outcome unknown, never posted again', async () => {
  const { runId, candidate, calls } = await writingRun(1);
  await callsCollection(db).updateOne(
    { id: calls[0]!.id },
    {
      $set: {
        posting_started_at: new Date(Date.now() - 120_000),
        posting_request_id: 'dead-writer',
        posting_lease_until: new Date(Date.now() - 1_000),
      },
    },
  );
  await postCanvassResponses(
    deps(async () => access()),
    { v: 1, runId, candidate, callIds: [calls[0]!.id] },
  );
  expect(await callsCollection(db).findOne({ id: calls[0]!.id })).toMatchObject({
    sync_status: SyncStatus.AttemptedError,
    outcome_unknown: true,
    error: expect.stringMatching(/found mid-post/),
  });
  expect(van.journal()).toHaveLength(0);
});

test('a VAN id our own check refuses is an ordinary error, not "outcome unknown"', async () => {
  const { runId, candidate, calls } = await writingRun(1, () => 0);
  const writer = access();
  await postCanvassResponses(
    deps(async () => writer),
    {
      v: 1,
      runId,
      candidate,
      callIds: [calls[0]!.id],
    },
  );
  const call = await callsCollection(db).findOne({ id: calls[0]!.id });
  expect(call).toMatchObject({ sync_status: SyncStatus.UnattemptedError });
  expect(call?.error).toContain('not a VAN id: 0');
  expect(call?.outcome_unknown).toBeUndefined();
  expect(van.journal()).toEqual([]);
});

test('a post that times out is flagged with the outcome_unknown field, never re-posted', async () => {
  const { runId, candidate, calls } = await writingRun(1);
  van.failNextPosts(1, 'timeout');
  const writer = vanAccessWithBudget(
    {
      baseUrl: van.url,
      applicationName: key.applicationName,
      apiKey: key.apiKey,
      mode: 0,
      timeoutMs: 300,
      rateLimiter: createTokenBucket(1000, 50),
    },
    createMongoRequestBudget(db, fingerprintApiKey(key.apiKey), 10_000),
  );
  const message = { v: 1 as const, runId, candidate, callIds: [calls[0]!.id] };
  await postCanvassResponses(
    deps(async () => writer),
    message,
  );
  // A redelivery of the same message finds the outcome and leaves it alone.
  await postCanvassResponses(
    deps(async () => writer),
    message,
  );

  const call = await callsCollection(db).findOne({ id: calls[0]!.id });
  expect(call).toMatchObject({ sync_status: SyncStatus.AttemptedError, outcome_unknown: true });
  expect(call?.error).toMatch(/^outcome unknown/);
  expect(van.journal()).toHaveLength(1);
});

test('a message for a candidate with no VAN key fails its run and is parked for the dead-letter topic', async () => {
  const { runId, candidate, calls } = await writingRun(3);
  const message = { v: 1 as const, runId, candidate, callIds: calls.map((c) => c.id) };

  const error = await postCanvassResponses(
    deps(async () => undefined),
    message,
  ).catch((e: unknown) => e);

  expect(error).toBeInstanceOf(PermanentMessageError);
  expect((error as Error).message).toContain(`candidate "${candidate}" has no VAN key`);
  const run = await findRun(db, runId);
  expect(run).toMatchObject({ state: RunState.Failed });
  expect(run?.error).toContain('has no VAN key');
  // Nothing was posted, so nothing is lost: the calls wait, unsynced, for the next run.
  const stored = await callsCollection(db)
    .find({ id: { $in: calls.map((c) => c.id) } })
    .toArray();
  expect(stored.map((c) => c.sync_status)).toEqual([undefined, undefined, undefined]);
  expect(van.journal()).toEqual([]);
});

test('with Airtable down for longer than the refresh interval, the writer keeps posting with the last good configuration', async () => {
  const settings = loadVanWriterSettings({
    AIRTABLE_API_KEY: 'patContractTestToken',
    AIRTABLE_BASE_ID: 'appContractTest01',
    AIRTABLE_ENDPOINT_URL: airtable.url,
    VAN_API_URL: van.url,
    VAN_APPLICATION_NAME: key.applicationName,
    CONFIG_REFRESH_INTERVAL_MS: '200',
  });
  const registry = createMetricsRegistry('van-writer');
  const vanAccessFor = createCandidateVanAccess(db, logger, settings, registry);
  expect(await vanAccessFor('test-candidate')).toBeDefined();
  const stale = async () =>
    (await registry.getMetricsAsJSON()).find((m) => m.name === 'callsync_configuration_stale')?.values[0]
      ?.value;
  expect(await stale()).toBe(0);

  airtable.failNextRequests(10_000, '5xx');
  // A refresh past the interval fails and marks the configuration stale; the post below uses it.
  await waitUntil(
    async () => {
      await vanAccessFor('test-candidate');
      return (await stale()) === 1;
    },
    { intervalMs: 200, what: 'a failed refresh' },
  );
  const { runId, calls } = await writingRun(3);
  await postCanvassResponses(deps(vanAccessFor), {
    v: 1,
    runId,
    candidate: 'test-candidate',
    callIds: calls.map((c) => c.id),
  });

  expect(await findRun(db, runId)).toMatchObject({ state: RunState.Exporting, counts: { finished: 3 } });
  expect(van.journal()).toHaveLength(3);
  expect(await stale()).toBe(1);

  // Airtable is back: the refresh under way gets through and the metric says so.
  airtable.reset();
  await waitUntil(
    async () => {
      await vanAccessFor('test-candidate');
      return (await stale()) === 0;
    },
    { intervalMs: 200, what: 'the stale-configuration metric back to 0' },
  );
  expect(await stale()).toBe(0);
});
