import { RunEvent, RunState, SyncStatus, VanSyncMessage } from '@call-sync/core';
import { stagedFrom, type Configuration } from '@call-sync/integrations';
import {
  createKafka,
  createPublisher,
  ensureTopics,
  startConsumer,
  Topics,
  type Publisher,
  type TopicName,
  type RunningConsumer,
  type Kafka,
} from '@call-sync/platform';
import { generateSeed, startVanSandbox, type SeededFixture, type VanSandbox } from '@call-sync/sandbox';
import { callsCollection, newRunDocument, runsCollection, type RunDocument } from '@call-sync/store';
import { serverEnv, uniqueName } from '../../../test/support/env';
import { freshGroup } from '../../../test/support/consumer-groups';
import { seedCalls, seedConfiguration, waitUntil } from '@call-sync/testkit';
import { runExtract, type ExtractSequenceDeps } from '../src/extract-sequence';
import { createTestDatabase, logger, sandboxSettings, type TestDatabase } from './support/extractor-world';

// One `extract` after another through a calling day, in process, on real MongoDB and Kafka and the
// VAN sandbox: Maria Lopez syncs nightly at 21:00 Eastern, James Carter continuously with his
// Sync Time at 22:00 and a 5-minute settle delay. On 2026-10-20 (EDT, UTC-4) both phone banks
// call from 17:00 to 21:00 Eastern.

const SETTLE_MS = 5 * 60_000;
let database: TestDatabase;
let van: VanSandbox;
let kafka: Kafka;
let publisher: Publisher;
let fixture: SeededFixture;
let configuration: Configuration;
let deps: ExtractSequenceDeps;
const consumers: RunningConsumer[] = [];
const vanSyncIds = new Map<string, string[]>();
const runEvents: RunEvent[] = [];

beforeAll(async () => {
  fixture = generateSeed({
    candidates: 2,
    callsPerCandidate: 40,
    seed: 5,
    day: '2026-10-20',
    syncModes: [undefined, 'continuous'],
  });
  configuration = seedConfiguration(fixture);
  van = await startVanSandbox({ fixture: fixture.van, knobs: { rateLimitPerSecond: 0 } });
  database = await createTestDatabase('extract-sequence');
  await callsCollection(database.db).insertMany(seedCalls(fixture, configuration));

  kafka = createKafka(uniqueName('extract-sequence'), serverEnv().kafkaBrokers, logger).kafka;
  await ensureTopics(kafka, Object.values(Topics));
  publisher = await createPublisher(kafka);
  const consume = async <T>(
    topic: TopicName,
    schema: { parse(value: unknown): T },
    handle: (value: T) => void,
  ) =>
    startConsumer({
      kafka,
      groupId: await freshGroup(`extract-sequence-${topic}`, [topic]),
      topic,
      schema: schema as never,
      logger,
      publisher,
      handle: async (value: T) => handle(value),
    });
  consumers.push(
    await consume(Topics.VanSync, VanSyncMessage, (m: VanSyncMessage) =>
      vanSyncIds.set(m.runId, [...(vanSyncIds.get(m.runId) ?? []), ...m.callIds]),
    ),
    await consume(Topics.RunEvents, RunEvent, (e: RunEvent) => runEvents.push(e)),
  );
  const settings = sandboxSettings(van.url, { CONTINUOUS_SETTLE_MS: String(SETTLE_MS) });
  deps = { db: database.db, publisher, logger, settings };
});

afterAll(async () => {
  await Promise.all(consumers.map((c) => c.stop()));
  await publisher.disconnect();
  await van.close();
  await database.drop();
});

const MARIA = 'maria-lopez';
const JAMES = 'james-carter';

/** James's dialer rows that are real calls (not the dialer's test accounts) and ended by `instant`. */
function jamesCallsEndedBy(instant: Date): string[] {
  const serviceIds = fixture.meta.candidates.find((c) => c.slug === JAMES)!.serviceIds;
  return fixture.livevox.calls
    .filter((c) => serviceIds.includes(c.serviceId) && !/^TEST/i.test(c.row.account_number))
    .filter((c) => c.finishMs! <= instant.getTime())
    .map((c) => c.row.id)
    .sort();
}

async function runsOf(candidate: string): Promise<RunDocument[]> {
  return runsCollection(database.db).find({ candidate }).sort({ openedAt: 1 }).toArray();
}

async function claimedIds(runId: string): Promise<string[]> {
  const calls = await callsCollection(database.db).find({ run_id: runId }).toArray();
  return calls.map((c) => c.id).sort();
}

test('a calling day: the nightly run at its Sync Time, the continuous day claiming settled calls all day and closing at its own', async () => {
  // 08:00 Eastern: James's day (the window that ends at 22:00 tonight) opens; nothing has settled.
  let outcome = await runExtract(deps, stagedFrom(configuration), { now: new Date('2026-10-20T12:00:00Z') });
  const [day] = await runsOf(JAMES);
  expect(day).toMatchObject({
    state: RunState.Extracting,
    scheduledDay: '2026-10-20',
    window: { start: new Date('2026-10-20T02:00:00Z'), end: new Date('2026-10-21T02:00:00Z') },
    continuous: { cycles: 1, settleMs: SETTLE_MS, closesAt: new Date('2026-10-21T02:05:00Z') },
    callsClaimed: 0,
  });
  expect(day!.continuous!.vanMetadata?.resultCodes.length).toBeGreaterThan(0);
  expect(outcome.cycles).toEqual([
    { runId: day!.runId, candidate: JAMES, outcome: 'claimed', claimed: 0, republished: 0 },
  ]);
  expect(await runsOf(MARIA)).toEqual([]);

  // 19:00 Eastern: exactly the calls that ended by 18:55 are claimed; the rest wait.
  await runExtract(deps, stagedFrom(configuration), { now: new Date('2026-10-20T23:00:00Z') });
  const by1855 = jamesCallsEndedBy(new Date('2026-10-20T22:55:00Z'));
  expect(by1855.length).toBeGreaterThan(5);
  expect(by1855.length).toBeLessThan(jamesCallsEndedBy(new Date('2026-10-21T02:00:00Z')).length);
  expect(await claimedIds(day!.runId)).toEqual(by1855);

  // 21:30 Eastern: Maria's nightly run opens and claims her window; James's day takes every call
  // (all ended by 21:25) but stays open, and the stall check leaves it to its cycle.
  outcome = await runExtract(deps, stagedFrom(configuration), { now: new Date('2026-10-21T01:30:00Z') });
  const [night] = await runsOf(MARIA);
  expect(night).toMatchObject({ state: RunState.Writing, scheduledDay: '2026-10-20' });
  expect(night!.continuous).toBeUndefined();
  expect(outcome.checks[day!.runId]).toBe('continuous');
  expect(outcome.checks[night!.runId]).toBe('healthy');
  const allOfJames = jamesCallsEndedBy(new Date('2026-10-21T02:00:00Z'));
  expect(await claimedIds(day!.runId)).toEqual(allOfJames);
  expect((await runsOf(JAMES))[0]).toMatchObject({ state: RunState.Extracting, continuous: { cycles: 3 } });

  // Every claimed VAN call of the day went on the topic, once so far.
  const vanCallsOfDay = (
    await callsCollection(database.db)
      .find({ run_id: day!.runId, van_request: { $exists: true } })
      .toArray()
  )
    .map((c) => c.id)
    .sort();
  expect(vanCallsOfDay.length).toBeGreaterThan(0);
  const publishedOfDay = () => vanSyncIds.get(day!.runId)?.length ?? 0;
  await waitUntil(() => publishedOfDay() >= vanCallsOfDay.length, { what: "the day's VAN calls published" });
  expect([...vanSyncIds.get(day!.runId)!].sort()).toEqual(vanCallsOfDay);

  // An extractor that died mid-cycle leaves its lease set: the next cycle publishes the day's
  // claimed, unposted calls again (no van-writer runs here, so that is every VAN call).
  await runsCollection(database.db).updateOne(
    { _id: day!.runId },
    { $set: { 'continuous.leaseUntil': new Date(Date.now() - 1_000) } },
  );
  outcome = await runExtract(deps, stagedFrom(configuration), {
    now: new Date('2026-10-21T01:40:00Z'),
    continuousOnly: true,
  });
  expect(outcome.cycles).toEqual([
    {
      runId: day!.runId,
      candidate: JAMES,
      outcome: 'claimed',
      claimed: 0,
      republished: vanCallsOfDay.length,
    },
  ]);
  expect(outcome.checks).toEqual({});
  await waitUntil(() => publishedOfDay() >= 2 * vanCallsOfDay.length, {
    what: "the day's VAN calls published again",
  });
  expect(vanSyncIds.get(day!.runId)!.length).toBe(2 * vanCallsOfDay.length);

  // A run whose final event may never have reached the topic is swept by the same sequence.
  const finished: RunDocument = {
    ...newRunDocument({
      candidate: uniqueName('swept'),
      trigger: 'request',
      window: day!.window,
      scheduledAt: new Date(),
    }),
    state: RunState.Completed,
    finishedAt: new Date(Date.now() - 2 * 60_000),
    finalEventPending: true,
  };
  await runsCollection(database.db).insertOne(finished);

  // 22:06 Eastern, past 22:00 + the settle delay: James's day closes and moves on to its writers;
  // his next day opens and waits for it. Maria's night is not the short job's business.
  outcome = await runExtract(deps, stagedFrom(configuration), {
    now: new Date('2026-10-21T02:06:00Z'),
    continuousOnly: true,
  });
  expect(outcome.cycles.map((c) => c.outcome)).toEqual(['closed']);
  expect(outcome.republished).toEqual([finished.runId]);
  const [closed, next] = await runsOf(JAMES);
  expect(closed).toMatchObject({ state: RunState.Writing, strategy: 'hybrid' });
  expect(closed!.counts[SyncStatus.InProgress]).toBe(vanCallsOfDay.length);
  expect(next).toMatchObject({
    state: RunState.Open,
    scheduledDay: '2026-10-21',
    window: { start: new Date('2026-10-21T02:00:00Z'), end: new Date('2026-10-22T02:00:00Z') },
    waitingFor: 'another run of this candidate is still running',
  });
  expect((await runsOf(MARIA)).map((r) => r.state)).toEqual([RunState.Writing]);
  const swept = () => runEvents.filter((e) => e.runId === finished.runId);
  await waitUntil(() => swept().length > 0, { what: "the swept run's final event" });
  expect(swept().map((e) => e.type)).toEqual(['run.completed']);
  const dayEvents = () => runEvents.filter((e) => e.runId === day!.runId && e.type !== 'run.progress');
  await waitUntil(() => dayEvents().length > 0, { what: "the day's run event" });
  expect(dayEvents().map((e) => e.type)).toEqual(['run.opened']);
});
