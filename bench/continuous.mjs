// Peak VAN request rate of one calling day, nightly vs continuous: the seed's day of
// `calls` dialer calls of one `full` candidate (17:00–21:00 Eastern, Sync Time 21:00), pulled from
// the Livevox sandbox by the built extractor, posted by the built van-writer, synced twice:
// - nightly: one `extract` after Sync Time, the whole day at once;
// - continuous (Sync Mode continuous): the Livevox sandbox's clock advanced a cycle at a time from
//   17:00, and at each step the short CronJob's command, `extract --continuous --now <step>`, until
//   the day closes (Sync Time + the settle delay).
//   node bench/continuous.mjs [--calls 2000] [--cycle-minutes 5] [--settle-minutes 5] [--runs 1]
//        [--latency-ms 80] [--rate 200] [--out bench/results/continuous.json]
// Time in the day: a cycle's requests are placed at its step plus the real time since the cycle's
// command started (a cycle's burst is real; the wait between cycles is compressed), the nightly
// run's at its `extract` (a minute after Sync Time) plus the real time since it started. Peaks are over any window of one
// second / one minute of that time, counting every request VAN's sandbox logged (reads, posts, 429s).

import path from 'node:path';
import { Collections } from '@call-sync/platform';
import { waitUntil } from '@call-sync/testkit';
import { writeReport, runWhenMain } from './lib/cli.mjs';
import { repoRoot, runOnce, startService } from './lib/services.mjs';
import { flags, medianOfRuns, percentile } from './lib/stats.mjs';
import { peakInWindow, vanFigures } from './lib/van-requests.mjs';
import { createPipelineWorld, DAY, waitForRun } from './lib/world.mjs';

const MINUTE = 60_000;
/** 17:00 Eastern (EDT) on DAY: the seed's phone banks start. */
const FIRST_CYCLE = Date.parse('2026-10-20T21:00:00Z');
/** 21:00 Eastern: the seed's first candidate's Sync Time, the end of its window. */
const SYNC_TIME = Date.parse('2026-10-21T01:00:00Z');
/** The hourly `extract` after Sync Time that runs the nightly day. */
const NIGHTLY_AT = SYNC_TIME + 60_000;

async function startWriters(world) {
  return [
    await startService('van-writer', world.env),
    await startService('csv-writer', {
      ...world.env,
      KAFKA_CONSUMER_GROUP: `${world.env.KAFKA_CONSUMER_GROUP}-csv`,
    }),
  ];
}

async function extractOrFail(world, args) {
  const result = await runOnce('extractor', world.env, args);
  if (result.code !== 0) throw new Error(`extractor ${args.join(' ')} failed:\n${result.output}`);
}

/** Waits until none of the run's claimed calls is still waiting for its post. */
async function drained(world, runId, services) {
  const calls = world.mongo.db.collection(Collections.Calls);
  await waitUntil(
    async () => {
      const dead = services.find((s) => s.child.exitCode !== null);
      if (dead) throw new Error(`a service exited with ${dead.child.exitCode}:\n${dead.output()}`);
      return (await calls.countDocuments({ run_id: runId, sync_status: 'in_progress' })) === 0;
    },
    { timeoutMs: 300_000, intervalMs: 100, what: `the run ${runId}'s claimed calls posted` },
  );
}

/** Plays the day one way (`nightly` or `continuous`) and returns its figures. */
async function syncDay(opts, mode) {
  const world = await createPipelineWorld({
    callsPerCandidate: opts.calls,
    strategies: ['full'],
    syncModes: [mode],
    latencyMs: opts.latencyMs,
    ratePerSecond: opts.rate,
    seed: 23,
    livevox: true,
  });
  const settleMs = opts.settleMinutes * MINUTE;
  world.env.CONTINUOUS_SETTLE_MS = String(settleMs);
  const slug = world.candidates[0];
  const services = await startWriters(world).catch(async (error) => {
    await world.close();
    throw error;
  });
  const steps = [];
  const dayRun = { candidate: slug, scheduledDay: DAY };
  try {
    const started = Date.now();
    if (mode === 'nightly') {
      const wallStart = Date.now();
      await extractOrFail(world, ['extract', '--now', new Date(NIGHTLY_AT).toISOString()]);
      await waitForRun(world, dayRun, 600_000 + opts.calls * 100, services);
      steps.push({ at: NIGHTLY_AT, wallStart, wallEnd: Date.now() });
    } else {
      const closesAt = SYNC_TIME + settleMs;
      for (let at = FIRST_CYCLE; ; at += opts.cycleMinutes * MINUTE) {
        world.livevox.setKnobs({ clockMs: at });
        const wallStart = Date.now();
        await extractOrFail(world, ['extract', '--continuous', '--now', new Date(at).toISOString()]);
        const run = await world.mongo.db.collection(Collections.Runs).findOne(dayRun);
        if (at >= closesAt) await waitForRun(world, dayRun, 600_000 + opts.calls * 100, services);
        else await drained(world, run.runId, services);
        steps.push({ at, wallStart, wallEnd: Date.now() });
        if (at >= closesAt) break;
      }
    }
    return await dayFigures(world, dayRun, steps, (Date.now() - started) / 1000);
  } finally {
    for (const service of services) await service.stop();
    await world.close();
  }
}

/** The day's figures; fails unless every call was claimed, every VAN call posted, none twice. */
async function dayFigures(world, dayRun, steps, seconds) {
  const run = await world.mongo.db.collection(Collections.Runs).findOne(dayRun);
  if (run?.state !== 'completed')
    throw new Error(`the day's run did not complete: ${run?.state} ${run?.error}`);
  if (run.callsClaimed !== world.calls.length)
    throw new Error(`${run.callsClaimed} of the day's ${world.calls.length} calls were claimed`);
  const dayTime = (wallMs) => {
    const step = steps.find((s) => wallMs >= s.wallStart && wallMs <= s.wallEnd);
    return step ? step.at + (wallMs - step.wallStart) : undefined;
  };
  const requests = world.van.requestLog().map((entry) => dayTime(entry.at));
  if (requests.includes(undefined)) throw new Error('VAN was sent a request outside every cycle');
  const calls = await world.mongo.db
    .collection(Collections.Calls)
    .find({ run_id: run.runId }, { projection: { id: 1, sync_status: 1, receipt: 1, van_request: 1 } })
    .toArray();
  const vanCalls = calls.filter((c) => c.van_request);
  const posted = vanCalls.filter((c) => c.receipt?.kind === 'van');
  const refused = vanCalls.filter((c) => c.sync_status === 'attempted_error').length;
  if (posted.length + refused !== vanCalls.length)
    throw new Error(`${vanCalls.length - posted.length - refused} VAN calls have no outcome`);
  const van = vanFigures(world.van, posted.length);
  if (van.duplicates > 0) throw new Error(`${van.duplicates} calls were posted twice`);
  const endedAt = new Map(world.fixture.livevox.calls.map((c) => [c.row.id, c.finishMs ?? c.startMs]));
  const delaysMinutes = posted.map(
    (c) => (dayTime(c.receipt.postedAt.getTime()) - endedAt.get(c.id)) / MINUTE,
  );
  const longestStep = Math.max(...steps.map((s) => s.wallEnd - s.wallStart));
  return {
    calls: calls.length,
    vanCalls: vanCalls.length,
    posted: posted.length,
    refusedByVan: refused,
    requests: requests.length,
    canvassPosts: van.vanRequests,
    throttled: van.throttled,
    duplicates: van.duplicates,
    peakPerSecond: peakInWindow(requests, 1000),
    peakPerMinute: peakInWindow(requests, MINUTE),
    // Minutes of the day in which VAN was sent anything: how widely the day's requests are spread.
    minutesWithRequests: new Set(requests.map((t) => Math.floor(t / MINUTE))).size,
    cycles: steps.length,
    longestCycleSeconds: longestStep / 1000,
    finishToPostP50Minutes: percentile(delaysMinutes, 0.5),
    finishToPostP99Minutes: percentile(delaysMinutes, 0.99),
    seconds,
  };
}

export async function benchContinuous(argv) {
  const opts = flags(argv, {
    calls: 2000,
    cycleMinutes: 5,
    settleMinutes: 5,
    runs: 1,
    latencyMs: 80,
    rate: 200,
    out: path.join(repoRoot, 'bench/results/continuous.json'),
  });
  const report = { at: new Date().toISOString(), settings: opts, modes: {} };
  for (const mode of ['nightly', 'continuous']) {
    const runs = [];
    for (let i = 0; i < opts.runs; i += 1) {
      const figures = await syncDay(opts, mode);
      console.error(`continuous bench, ${mode} run ${i + 1}: ${JSON.stringify(figures)}`);
      runs.push(figures);
    }
    report.modes[mode] = medianOfRuns(runs);
  }
  const { nightly, continuous } = report.modes;
  // The cycle's burst is real time: a cycle that outlasts its step overlaps the next in the day.
  if (continuous.longestCycleSeconds * 1000 > opts.cycleMinutes * MINUTE)
    console.error('!! a continuous cycle took longer than its step: its requests overlap the next');
  if (continuous.posted !== nightly.posted || continuous.vanCalls !== nightly.vanCalls)
    throw new Error(`the two modes posted different calls: ${nightly.posted} vs ${continuous.posted}`);
  report.peakPerSecondRatio = nightly.peakPerSecond / continuous.peakPerSecond;
  report.peakPerMinuteRatio = nightly.peakPerMinute / continuous.peakPerMinute;
  return writeReport(opts.out, report);
}

runWhenMain(import.meta.url, benchContinuous);
