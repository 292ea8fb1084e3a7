// Continuous mode end to end: a hybrid candidate's calling day played in compressed
// time. The Livevox sandbox's clock moves in 40-minute steps through the evening of 2026-10-20
// (17:00–21:40 Eastern), and at each step the short CronJob's command runs, `extract --continuous
// --now <step>`, with the built van-writer, csv-writer and config service running. Mid-day the
// van-writer is killed (its work waits in Kafka) and an extractor is killed mid-cycle. Meanwhile
// the same calls are synced by a nightly run in a second world, and the two reports must be the same.
// (Eight cycles of 40 minutes rather than fourteen of 20: each cycle is an extractor process, and
// the proof is the same — every step still posts what settled, both kills fall on a step with work.)
// (A van-writer killed with posts in flight is van-writer-crash.test.ts's case.)
// Build first: `npx tsc -b`.

import { freshServiceGroup } from '../support/consumer-groups';
import { SyncStatus, type Call } from '@call-sync/core';
import { Collections } from '@call-sync/platform';
import type { ReportDocument, RunDocument } from '@call-sync/store';
import {
  IMAGE_PRELOAD,
  runServiceCommand,
  type ServiceProcess,
  startServiceProcess,
  TEST_LAUNCH,
  waitAtMost,
  waitForValue,
  waitUntil,
} from '@call-sync/testkit';
import { createWorld, runExtractor, waitForRuns, type World } from './pipeline-world';

jest.setTimeout(900_000);

const MINUTE = 60_000;
const SETTLE_MS = 5 * MINUTE;
const CYCLE_MS = 40 * MINUTE;
/** 17:00 Eastern (EDT) on 2026-10-20, when the seed's phone banks start; the day closes at 21:05. */
const FIRST_CYCLE = Date.parse('2026-10-20T21:00:00Z');
const LAST_CYCLE = Date.parse('2026-10-21T01:40:00Z');
/** 19:00 and 19:40 Eastern: the van-writer dies in the first of these cycles, an extractor in the second. */
const WRITER_KILLED_AT = Date.parse('2026-10-20T23:00:00Z');
const EXTRACTOR_KILLED_AT = Date.parse('2026-10-20T23:40:00Z');
const WORLD = { candidates: 1, callsPerCandidate: 90, seed: 41, strategies: ['hybrid' as const] };
const CONFIG_ENV = { API_TOKENS: 'ops:operator:continuous-e2e-token', SESSION_SECRET: 'x'.repeat(40) };

const services: ServiceProcess[] = [];
const worlds: World[] = [];

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await Promise.all(worlds.map((w) => w.close()));
});

/** The van-writer's environment: a restarted writer joins the same consumer group and takes up its work. */
const vanWriterEnv = new Map<World, Record<string, string>>();

async function startServices(world: World, name: string): Promise<ServiceProcess[]> {
  vanWriterEnv.set(world, { ...world.env, KAFKA_CONSUMER_GROUP: await freshServiceGroup(`${name}-van`) });
  const starting = await Promise.allSettled([
    startServiceProcess('van-writer', vanWriterEnv.get(world)!, TEST_LAUNCH),
    startServiceProcess(
      'csv-writer',
      {
        ...world.env,
        KAFKA_CONSUMER_GROUP: await freshServiceGroup(`${name}-csv`),
      },
      TEST_LAUNCH,
    ),
    startServiceProcess(
      'config',
      {
        ...world.env,
        ...CONFIG_ENV,
        KAFKA_CONSUMER_GROUP: await freshServiceGroup(`${name}-config`),
      },
      TEST_LAUNCH,
    ),
  ]);
  // Those that did start are stopped by afterAll, whichever failed.
  const started = starting.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  services.push(...started);
  const failed = starting.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return started;
}

const callsOf = (world: World) => world.mongo.db.collection<Call>(Collections.Calls);
const runsOf = (world: World) => world.mongo.db.collection<RunDocument>(Collections.Runs);

/** The calls of a run, by a query the run_status_time index serves. */
const runCalls = (world: World, runId: string) => callsOf(world).find({ run_id: runId }).toArray();

/** Waits until no claimed VAN call of the run is waiting for its post. */
async function vanWorkDrained(world: World, runId: string): Promise<void> {
  let waiting = 0;
  await waitUntil(
    async () => {
      waiting = (await runCalls(world, runId)).filter(
        (c) => c.van_request && c.sync_status === SyncStatus.InProgress,
      ).length;
      return waiting === 0;
    },
    {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: () => `every claimed VAN call posted (${waiting} never were)`,
    },
  );
}

/** The one report of the world's one run, once the config service has stored it. */
async function reportOf(world: World): Promise<ReportDocument> {
  const reports = await waitForValue(
    async () => {
      const stored = await world.mongo.db.collection<ReportDocument>(Collections.Reports).find().toArray();
      return stored.length > 0 ? stored : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500, what: 'a stored report' },
  );
  expect(reports).toHaveLength(1);
  return reports[0]!;
}

/** Starts `extract --continuous` at `now` and SIGKILLs it as soon as it holds the day's lease. */
async function killExtractorMidCycle(world: World, runId: string, now: Date): Promise<void> {
  const { child, done: exited } = runServiceCommand(
    'extractor',
    world.env,
    ['extract', '--continuous', '--now', now.toISOString()],
    { preload: IMAGE_PRELOAD, outputLimit: 20_000 },
  );
  // An extractor that exits, or never takes the lease, is killed all the same.
  await waitAtMost(
    async () =>
      child.exitCode !== null || !!(await runsOf(world).findOne({ _id: runId }))?.continuous?.leaseUntil,
    { timeoutMs: 30_000, intervalMs: 5 },
  );
  child.kill('SIGKILL');
  await exited;
  // The lease outlives a dead holder by up to 10 minutes; compressed time lets them pass.
  if ((await runsOf(world).findOne({ _id: runId }))?.continuous?.leaseUntil)
    await runsOf(world).updateOne(
      { _id: runId },
      { $set: { 'continuous.leaseUntil': new Date(Date.now() - 1) } },
    );
}

async function dayRun(world: World, day: string, ended = true): Promise<RunDocument> {
  const candidate = world.fixture.meta.candidates[0]!.slug;
  let run: RunDocument | null = null;
  return waitForValue(
    async () => {
      run = await runsOf(world).findOne({ candidate, trigger: 'schedule', scheduledDay: day });
      if (run && !ended) return run;
      return run?.state === 'completed' || run?.state === 'failed' ? run : undefined;
    },
    {
      timeoutMs: 120_000,
      intervalMs: 500,
      what: () => `the run of ${day} ${ended ? 'ended' : 'started'} (${JSON.stringify(run)})`,
    },
  );
}

/** The report's text with its presigned links (random names, signatures) taken out. */
const withoutLinks = (text: string) => text.replace(/https?:\/\/\S+/g, '<link>');

/** The same calls synced by a nightly run at 21:00 in a world of their own: its run and its report. */
async function syncNight(night: World): Promise<{ run: RunDocument; report: ReportDocument }> {
  await startServices(night, 'nightly');
  expect((await runExtractor(night.env, ['extract', '--now', '2026-10-21T01:30:00Z'])).code).toBe(0);
  const [run] = await waitForRuns(night, 1, 150_000);
  return { run: run!, report: await reportOf(night) };
}

test('a continuous day posts each call once, a settle delay after it ended, and reports like a night', async () => {
  const [world, night] = await Promise.all([
    createWorld({ ...WORLD, syncModes: ['continuous'], callsFrom: 'livevox' }),
    createWorld({ ...WORLD, callsFrom: 'livevox' }),
  ]);
  worlds.push(world, night);
  const env = { ...world.env, CONTINUOUS_SETTLE_MS: String(SETTLE_MS) };
  world.env.CONTINUOUS_SETTLE_MS = env.CONTINUOUS_SETTLE_MS;
  const slug = world.fixture.meta.candidates[0]!.slug;

  // The dialer's calls, from the fixture: what the day must sync, and when each one ended.
  const dialerCalls = world.fixture.livevox.calls.filter((c) => !/^TEST/i.test(c.row.account_number));
  const endedAt = new Map(dialerCalls.map((c) => [c.row.id, c.finishMs!]));
  const postedInCycle = new Map<string, number>();
  const closeAt = Date.parse('2026-10-21T01:05:00Z');

  const playDay = async () => {
    let [writer] = await startServices(world, 'continuous');
    const started = Date.now();
    for (let at = FIRST_CYCLE; at <= LAST_CYCLE; at += CYCLE_MS) {
      world.livevox!.setKnobs({ clockMs: at });
      const cycle = ['extract', '--continuous', '--now', new Date(at).toISOString()];
      if (at === WRITER_KILLED_AT) {
        // 19:00: the van-writer dies; this cycle's work waits in Kafka until it is back.
        await writer!.stop('SIGKILL');
        expect((await runExtractor(env, cycle)).code).toBe(0);
        writer = await startServiceProcess('van-writer', vanWriterEnv.get(world)!, TEST_LAUNCH);
        services.push(writer);
      } else {
        if (at === EXTRACTOR_KILLED_AT)
          await killExtractorMidCycle(world, (await dayRun(world, '2026-10-20', false)).runId, new Date(at));
        const result = await runExtractor(env, cycle);
        expect({ at: cycle[3], code: result.code }).toEqual({ at: cycle[3], code: 0 });
      }
      const { runId } = await dayRun(world, '2026-10-20', false);
      await vanWorkDrained(world, runId);
      // Posted this cycle: a VAN call with its outcome (VAN's acceptance, or its rejection).
      for (const call of await runCalls(world, runId))
        if (call.van_request && call.sync_status !== SyncStatus.InProgress && !postedInCycle.has(call.id))
          postedInCycle.set(call.id, at);
    }
    console.log(
      `continuous e2e: ${postedInCycle.size} calls posted over the day's cycles in ${(Date.now() - started) / 1000} s`,
    );
  };
  // The nightly world syncs the same calls while the day is played: its run is independent.
  const [, nightly] = await Promise.all([playDay(), syncNight(night)]);

  // The day that closed at 21:05 (the next one has opened since, and waits for calls).
  const run = await dayRun(world, '2026-10-20');
  expect(run).toMatchObject({ candidate: slug, state: 'completed', strategy: 'hybrid' });
  expect(run.csvUrl).toBeDefined();
  expect(run.callerCsvUrl).toBeDefined();
  const calls = await callsOf(world).find().toArray();
  // Every real call of the dialer's day was synced by the day's run: nothing left behind.
  expect(calls.map((c) => c.id).sort()).toEqual([...endedAt.keys()].sort());
  expect(calls.filter((c) => c.run_id !== run.runId || c.sync_status === SyncStatus.InProgress)).toEqual([]);
  expect(run.callsClaimed).toBe(dialerCalls.length);

  // Each VAN call posted exactly once; none "outcome unknown" (no post was in flight at the kills).
  const posts = new Map<string, number>();
  for (const entry of world.van.journal()) {
    const key = entry.path + JSON.stringify(entry.body);
    posts.set(key, (posts.get(key) ?? 0) + 1);
  }
  const vanCalls = calls.filter((c) => c.van_request);
  expect(vanCalls.length).toBeGreaterThan(20);
  for (const call of vanCalls) {
    const key =
      `/v4/people/${call.van_request!.vanId}/canvassResponses` + JSON.stringify(call.van_request!.body);
    expect([call.id, posts.get(key), call.outcome_unknown]).toEqual([call.id, 1, undefined]);
  }
  expect(world.van.journal()).toHaveLength(vanCalls.length);

  // Posted in the first cycle at least a settle delay after the call ended (the close takes the
  // rest at once): so within the settle delay plus one cycle of its end.
  const late: string[] = [];
  for (const call of vanCalls) {
    const posted = postedInCycle.get(call.id);
    const ended = endedAt.get(call.id)!;
    if (posted === undefined || posted - ended > SETTLE_MS + CYCLE_MS) late.push(`${call.id} not in time`);
    else if (posted < closeAt && posted - ended < SETTLE_MS) late.push(`${call.id} before it settled`);
  }
  expect(late).toEqual([]);

  // Both kills fell on a cycle with calls to post: the dead writer's work did wait in Kafka, and
  // the cycle after the killed extractor had work to take over.
  const postedIn = (at: number) => [...postedInCycle.values()].filter((posted) => posted === at).length;
  expect(postedIn(WRITER_KILLED_AT)).toBeGreaterThan(0);
  expect(postedIn(EXTRACTOR_KILLED_AT)).toBeGreaterThan(0);

  // The same calls, synced by a nightly run at 21:00: the same report.
  expect(nightly.run.counts).toEqual(run.counts);
  const [continuousReport, nightlyReport] = [await reportOf(world), nightly.report];
  expect(continuousReport.subject).toBe('Dialer Results for 10-20');
  expect(continuousReport.subject).toBe(nightlyReport.subject);
  expect(withoutLinks(continuousReport.text)).toBe(withoutLinks(nightlyReport.text));
  const postedOk = vanCalls.filter((c) => c.sync_status === SyncStatus.Finished).length;
  expect(continuousReport.text).toContain(`We successfully synced ${postedOk},`);
});
