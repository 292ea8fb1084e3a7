// Extraction benchmark: the built extractor (`extract`, one-shot, as the CronJob runs it) over
// `calls` calls of one candidate among `total` calls in `districts` districts.
//   node bench/extract.mjs [--calls 100000] [--total 1000000] [--districts 200] [--runs 3]
//        [--out bench/results/extract.json]
// calls/s counts from the run's start to its last claim (the run document's own times), and the
// process's whole wall time beside it; peak RSS of the extractor process, started with the
// variables the Helm chart gives it (its heap cap), and beside it the same without the cap.

import path from 'node:path';
import { SyncStatus } from '@call-sync/core';
import { Collections } from '@call-sync/platform';
import { claimCalls, unsyncedCallsInWindow } from '@call-sync/store';
import { writeReport, runWhenMain } from './lib/cli.mjs';
import { chartEnv, repoRoot, runOnce } from './lib/services.mjs';
import { flags, medianOfRuns } from './lib/stats.mjs';
import { createExtractionWorld, NOW } from './lib/world.mjs';

export async function benchExtract(argv) {
  const opts = flags(argv, {
    calls: 100_000,
    total: 1_000_000,
    districts: 200,
    runs: 3,
    out: path.join(repoRoot, 'bench/results/extract.json'),
  });
  const world = await createExtractionWorld(opts);
  const runs = [];
  // Each run starts from unsynced calls.
  const unclaimAll = async () => {
    const unset = {
      sync_status: '',
      run_id: '',
      van_request: '',
      display_name: '',
      error: '',
      synced_at: '',
    };
    await world.mongo.db
      .collection(Collections.Calls)
      .updateMany({ run_id: { $exists: true } }, { $unset: unset });
    await world.mongo.db.collection(Collections.Runs).deleteMany({});
  };
  let serverTime;
  try {
    const extractOnce = async (env) => {
      await unclaimAll();
      const started = Date.now();
      const result = await runOnce('extractor', { ...world.env, ...env }, ['extract', '--now', NOW]);
      const wallSeconds = (Date.now() - started) / 1000;
      if (result.code !== 0) throw new Error(`extractor failed:\n${result.output}`);
      const run = await world.mongo.db.collection(Collections.Runs).findOne({ callsClaimed: { $gt: 0 } });
      const claimSeconds = (run.progress.lastActivityAt.getTime() - run.startedAt.getTime()) / 1000;
      return { run, claimSeconds, wallSeconds, peakRssMb: result.peakRssMb, cpuSeconds: result.cpuSeconds };
    };
    // The same command once more finds the night's run already open and nothing left to claim:
    // the CPU any extractor process spends (start, configuration, connections) whatever it claims.
    const fixedCpuSeconds = async () => {
      const result = await runOnce('extractor', world.env, ['extract', '--now', NOW]);
      if (result.code !== 0) throw new Error(`extractor failed:\n${result.output}`);
      const runs = await world.mongo.db.collection(Collections.Runs).countDocuments({});
      if (runs !== 1) throw new Error(`the second extract opened another run (${runs} runs)`);
      return result.cpuSeconds;
    };
    for (let i = 0; i < opts.runs; i += 1) {
      // As the chart runs it (its heap cap), then beside it with V8's own heap sizing.
      const deployed = await extractOnce({});
      const fixed = await fixedCpuSeconds();
      const uncapped = await extractOnce({ NODE_OPTIONS: '' });
      const figures = {
        calls: world.calls,
        total: opts.total,
        claimed: deployed.run.callsClaimed,
        claimSeconds: deployed.claimSeconds,
        callsPerSecond: deployed.run.callsClaimed / deployed.claimSeconds,
        wallSeconds: deployed.wallSeconds,
        callsPerSecondWall: deployed.run.callsClaimed / deployed.wallSeconds,
        extractorPeakRssMb: deployed.peakRssMb,
        extractorCpuSeconds: deployed.cpuSeconds,
        fixedCpuSeconds: fixed,
        // The extractor's own work per call, whatever the database: calls per CPU second it spent
        // beyond a process that claims nothing.
        callsPerOwnCpuSecond: deployed.run.callsClaimed / (deployed.cpuSeconds - fixed),
        uncappedCallsPerSecond: uncapped.run.callsClaimed / uncapped.claimSeconds,
        uncappedPeakRssMb: uncapped.peakRssMb,
      };
      console.error(`extract run ${i + 1}: ${JSON.stringify(figures)}`);
      runs.push(figures);
    }
    await unclaimAll();
    serverTime = await mongoServerTime(world);
  } finally {
    await world.close();
  }
  const extract = medianOfRuns(runs);
  // What the extractor would do if the database answered instantly: its claim phase less the
  // time the local MongoDB-wire server alone takes for the same cursor and the same bulk claims.
  const ownSeconds = extract.claimSeconds - serverTime.cursorSeconds - serverTime.claimSeconds;
  extract.mongoWireCursorSeconds = serverTime.cursorSeconds;
  extract.mongoWireClaimSeconds = serverTime.claimSeconds;
  extract.callsPerSecondWithoutMongoWire = ownSeconds > 0 ? extract.claimed / ownSeconds : undefined;
  const report = {
    at: new Date().toISOString(),
    settings: { ...opts, extractorEnv: chartEnv('extractor') },
    extract,
  };
  return writeReport(opts.out, report);
}

/**
 * The local server's share: the extractor's own query and bulk claims (5,000 per write, as the
 * extractor sends them), timed alone from this process with nothing decided or published.
 */
async function mongoServerTime(world) {
  const one = await world.mongo.db.collection(Collections.Calls).findOne({ id: { $not: /^other-/ } });
  const window = {
    start: new Date(one.timestamp.getTime() - 86_400_000),
    end: new Date(one.timestamp.getTime() + 86_400_000),
  };
  let started = Date.now();
  const ids = [];
  for await (const call of unsyncedCallsInWindow(world.mongo.db, { district: one.district, window }, 5_000))
    ids.push(call.id);
  const cursorSeconds = (Date.now() - started) / 1000;
  started = Date.now();
  for (let i = 0; i < ids.length; i += 5_000) {
    await claimCalls(
      world.mongo.db,
      'bench-server-time',
      ids.slice(i, i + 5_000).map((callId) => ({ callId, status: SyncStatus.Ignored })),
    );
  }
  return { cursorSeconds, claimSeconds: (Date.now() - started) / 1000, calls: ids.length };
}

runWhenMain(import.meta.url, benchExtract);
