// The whole pipeline through the built services, on real Kafka/MongoDB-wire/S3 and the
// sandboxes: three candidates (full, hybrid, all csv) with a few thousand calls each, including
// misconfigured results, dropped calls, VAN-rejected calls and calls outside the window.
// Build first: `npx tsc -b`.

import { freshServiceGroup } from '../support/consumer-groups';
import { parse } from 'csv-parse/sync';
import { RESULT_CSV_COLUMNS, resultCsvRow, SyncStatus, type Call, type RunEvent } from '@call-sync/core';
import {
  Collections,
  createKafka,
  createLogger,
  startConsumer,
  createPublisher,
  Topics,
  type Publisher,
  type RunningConsumer,
} from '@call-sync/platform';
import { RunEvent as RunEventSchema } from '@call-sync/core';
import type { RunDocument } from '@call-sync/store';
import { type ServiceProcess, startServiceProcess, TEST_LAUNCH, waitAtMost } from '@call-sync/testkit';
import { uniqueName } from '../support/env';
import { createWorld, expectedOutcome, NOW, runExtractor, waitForRuns, type World } from './pipeline-world';

jest.setTimeout(180_000);

const CALLS_PER_CANDIDATE = Number(process.env.E2E_CALLS ?? 2000);

let world: World;
const services: ServiceProcess[] = [];
const events: RunEvent[] = [];
let eventsConsumer: RunningConsumer;
let publisher: Publisher;
/** VAN requests the world made itself while it was set up (metadata reads), before any service. */
let setupRequests = 0;

beforeAll(async () => {
  world = await createWorld({ candidates: 3, callsPerCandidate: CALLS_PER_CANDIDATE, seed: 11 });
  setupRequests = world.van.requestLog().length;
  const logger = createLogger('e2e', 'silent');
  const { kafka } = createKafka(uniqueName('e2e-events'), world.env.KAFKA_BROKERS!.split(','), logger);
  publisher = await createPublisher(kafka);
  eventsConsumer = await startConsumer({
    kafka,
    groupId: uniqueName('e2e-events'),
    topic: Topics.RunEvents,
    schema: RunEventSchema,
    logger,
    publisher,
    fromBeginning: false,
    handle: async (event) => {
      events.push(event);
    },
  });
  services.push(
    await startServiceProcess(
      'van-writer',
      {
        ...world.env,
        KAFKA_CONSUMER_GROUP: await freshServiceGroup('e2e-van'),
      },
      TEST_LAUNCH,
    ),
  );
  services.push(
    await startServiceProcess(
      'csv-writer',
      {
        ...world.env,
        KAFKA_CONSUMER_GROUP: await freshServiceGroup('e2e-csv'),
      },
      TEST_LAUNCH,
    ),
  );
});

afterAll(async () => {
  for (const service of services) if (process.env.E2E_SHOW_OUTPUT) console.log(service.output().slice(-6000));
  await Promise.all(services.map((s) => s.stop()));
  await eventsConsumer?.stop();
  await publisher?.disconnect();
  await world?.close();
});

test('three candidates sync end to end: every call as decided, one VAN post each, right CSVs and counts', async () => {
  const started = Date.now();
  const extraction = await runExtractor(world.env, ['extract', '--now', NOW]);
  expect(extraction.output).not.toMatch(/failed/);
  expect(extraction.code).toBe(0);
  const runs = await waitForRuns(world, 3, Number(process.env.E2E_WAIT_MS ?? 150_000));
  const elapsedS = (Date.now() - started) / 1000;

  const db = world.mongo.db;
  const calls = await db.collection<Call>(Collections.Calls).find().toArray();
  const journal = world.van.journal();
  const byRunCandidate = new Map(runs.map((r) => [r.runId, r.candidate]));
  expect(runs.map((r) => r.state)).toEqual(['completed', 'completed', 'completed']);

  // Every call in a window ends as the decision says; nothing else is touched.
  const untouchable = new Set(world.untouchableIds);
  const postsByPath = new Map<string, number>();
  for (const entry of journal)
    postsByPath.set(
      entry.path + JSON.stringify(entry.body),
      (postsByPath.get(entry.path + JSON.stringify(entry.body)) ?? 0) + 1,
    );
  let vanCalls = 0;
  const mismatches: string[] = [];
  for (const call of calls) {
    if (untouchable.has(call.id)) {
      expect(call.sync_status).toBeUndefined();
      expect(call.run_id).toBeUndefined();
      continue;
    }
    const expected = expectedOutcome(world, call)!;
    if (call.sync_status !== expected.status)
      mismatches.push(`${call.id} ${call.full_on_screen_result}: ${call.sync_status} ≠ ${expected.status}`);
    expect(byRunCandidate.get(call.run_id!)).toBe(call.client);
    if (expected.route === 'van') {
      vanCalls += 1;
      const key =
        `/v4/people/${call.van_request!.vanId}/canvassResponses` + JSON.stringify(call.van_request!.body);
      // Exactly one post per synced call, with the decided body.
      if (postsByPath.get(key) !== 1) mismatches.push(`${call.id}: ${postsByPath.get(key) ?? 0} posts`);
      if (call.sync_status === SyncStatus.Finished)
        expect(call.receipt).toMatchObject({ kind: 'van', httpStatus: 204 });
    }
    if (call.sync_status === SyncStatus.UnattemptedError || call.sync_status === SyncStatus.AttemptedError) {
      expect(call.error).toBeTruthy();
    }
  }
  expect(mismatches.slice(0, 10)).toEqual([]);
  expect(journal).toHaveLength(vanCalls);

  // VAN's guidance for phone tools, checked on what VAN received: phoneId exactly when the call has
  // one, always the full phone with its dialing prefix, and the candidate's Contact Type by name
  // reaching VAN as that key's id (the seed: Maria Lopez has none, so Phone = 1; James Carter
  // names "Auto Dial", which is 67 for his committee's key).
  const expectedContactTypeId: Record<string, number> = { 'maria-lopez': 1, 'james-carter': 67 };
  const entryByKey = new Map(journal.map((entry) => [entry.path + JSON.stringify(entry.body), entry]));
  const phoneIdsSent = { with: 0, without: 0 };
  for (const call of calls) {
    if (untouchable.has(call.id) || expectedOutcome(world, call)?.route !== 'van') continue;
    const entry = entryByKey.get(
      `/v4/people/${call.van_request!.vanId}/canvassResponses` + JSON.stringify(call.van_request!.body),
    );
    const context = (entry?.body as { canvassContext: Record<string, unknown> }).canvassContext;
    expect([call.id, context.phoneId]).toEqual([call.id, call.phone_id]);
    expect(context.phone).toEqual({ dialingPrefix: '1', phoneNumber: call.phone_dialed.slice(-10) });
    expect([call.client, context.contactTypeId]).toEqual([call.client, expectedContactTypeId[call.client!]]);
    expect(context.inputTypeId).toBe(11);
    phoneIdsSent[call.phone_id === undefined ? 'without' : 'with'] += 1;
  }
  // The seed leaves the phone id out of every fourth row: both kinds of post were made.
  expect(phoneIdsSent.with).toBeGreaterThan(0);
  expect(phoneIdsSent.without).toBeGreaterThan(0);

  // Counts: each run's counters equal its calls.
  for (const run of runs) {
    const mine = calls.filter((c) => c.run_id === run.runId);
    for (const status of Object.values(SyncStatus)) {
      expect([run.candidate, status, run.counts[status]]).toEqual([
        run.candidate,
        status,
        mine.filter((c) => c.sync_status === status).length,
      ]);
    }
    expect(run.callsClaimed).toBe(mine.length);
  }

  // CSVs: hybrid and all csv runs have one, with exactly the exported calls, in the SPEC's format.
  for (const run of runs) {
    // Every run that had calls has its caller file, whatever its strategy.
    expect(run.callerCsvUrl).toMatch(new RegExp(`/${run.candidate}-agents-10-20-2026-`));
    const strategy = run.strategy;
    const exported = calls
      .filter((c) => c.run_id === run.runId && c.receipt?.kind === 'csv')
      .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime() || a.id.localeCompare(b.id));
    if (strategy === 'full') {
      expect(run.csvUrl).toBeUndefined();
      expect(exported).toHaveLength(0);
      continue;
    }
    expect(run.csvUrl).toMatch(new RegExp(`/${run.candidate}-10-20-2026-[0-9a-f]+\\.csv\\?`));
    const text = await (await fetch(run.csvUrl!)).text();
    const rows = parse(text) as string[][];
    expect(rows[0]).toEqual([...RESULT_CSV_COLUMNS]);
    expect(rows.slice(1)).toEqual(exported.map((c) => resultCsvRow(c, c.display_name!)));
    expect(exported.length).toBeGreaterThan(100);
  }

  // Events: each run announced its completion, with its counts and (when made) its CSV link.
  await waitAtMost(() => events.filter((e) => e.type === 'run.completed').length >= 3, {
    timeoutMs: 10_000,
    intervalMs: 200,
  });
  for (const run of runs) {
    const completed = events.find((e) => e.runId === run.runId && e.type === 'run.completed');
    expect(completed?.counts).toEqual(run.counts);
    expect(completed?.csvUrl).toBe(run.csvUrl);
    expect(events.some((e) => e.runId === run.runId && e.type === 'run.opened')).toBe(true);
  }

  const durations = runs.map((r: RunDocument) => [
    r.candidate,
    r.strategy,
    ((r.finishedAt!.getTime() - r.startedAt!.getTime()) / 1000).toFixed(1),
  ]);
  console.log(
    `e2e: ${calls.length} calls, ${journal.length} VAN posts in ${elapsedS.toFixed(1)} s ` +
      `(${(journal.length / elapsedS).toFixed(0)} posts/s overall); runs ${JSON.stringify(durations)}; ` +
      `counts ${JSON.stringify(runs.map((r) => [r.candidate, r.counts]))}`,
  );
});

test("a van-writer that stops gives back the budget it took ahead: the keys' day counts equal VAN's requests", async () => {
  // The writer takes each key's daily budget a block at a time (40 units at 400 requests/s);
  // stopped, it must return what it did not spend, or every restart would cost the day units.
  const writer = services[0]!;
  expect(await writer.stop()).toBe(0);
  const requests = world.van
    .requestLog()
    .slice(setupRequests)
    .filter((entry) => entry.path.startsWith('/v4/')).length;
  const days = await world.mongo.db
    .collection<{ used: number }>(Collections.VanBudgets)
    .find({}, { projection: { used: 1 } })
    .toArray();
  expect(requests).toBeGreaterThan(1000);
  expect(days.reduce((sum, day) => sum + day.used, 0)).toBe(requests);
});
