// VAN requests per synced call, strategy by strategy, on the same night: the seed's calls of one
// candidate synced with `full`, `hybrid` and `bulk` in turn (only the candidate's strategy
// differs), the built extractor, van-writer and csv-writer as processes.
//   node bench/strategies.mjs [--calls 2000] [--strategies full,hybrid,bulk] [--runs 3]
//        [--latency-ms 80] [--rate 200] [--out bench/results/strategies.json]
// VAN requests: every /v4 request the VAN sandbox logged from the extraction on (metadata reads,
// posts, Bulk Import's mapping check, job, polls); synced calls: calls whose outcome VAN gave
// (finished through VAN, or refused by VAN). The run's own count (`vanRequestsUsed`, which also
// counts reading Bulk Import's results file) is beside it.

import path from 'node:path';
import { Collections } from '@call-sync/platform';
import { writeReport, runWhenMain } from './lib/cli.mjs';
import { repoRoot, runOnce, startService } from './lib/services.mjs';
import { flags, medianOfRuns } from './lib/stats.mjs';
import { createPipelineWorld, NOW, waitForRun } from './lib/world.mjs';

async function syncOnce(opts, strategy) {
  const world = await createPipelineWorld({
    callsPerCandidate: opts.calls,
    strategies: [strategy],
    latencyMs: opts.latencyMs,
    ratePerSecond: opts.rate,
    seed: 13,
  });
  const slug = world.candidates[0];
  const services = [];
  try {
    services.push(await startService('van-writer', world.env));
    services.push(
      await startService('csv-writer', {
        ...world.env,
        KAFKA_CONSUMER_GROUP: `${world.env.KAFKA_CONSUMER_GROUP}-csv`,
      }),
    );
    const from = world.van.requestLog().length;
    const started = Date.now();
    const extraction = await runOnce('extractor', world.env, ['extract', '--now', NOW]);
    if (extraction.code !== 0) throw new Error(`extractor failed:\n${extraction.output}`);
    const run = await waitForRun(world, { candidate: slug }, 600_000 + opts.calls * 100, services);
    if (run.state !== 'completed') throw new Error(`the ${strategy} run failed: ${run.error}`);
    const seconds = (Date.now() - started) / 1000;
    const requests = world.van.requestLog().slice(from);
    const calls = await world.mongo.db
      .collection(Collections.Calls)
      .find({ client: slug }, { projection: { id: 1, sync_status: 1, receipt: 1, van_request: 1 } })
      .toArray();
    const reachedVan = calls.filter(
      (c) => c.van_request && ['finished', 'attempted_error'].includes(c.sync_status),
    ).length;
    const synced = calls.filter((c) => ['van', 'van-bulk'].includes(c.receipt?.kind)).length;
    return {
      statuses: new Map(calls.map((c) => [c.id, c.sync_status])),
      figures: {
        calls: calls.length,
        syncedToVan: synced,
        reachedVan,
        vanRequests: requests.length,
        requestsPerSyncedCall: synced ? requests.length / synced : undefined,
        canvassPosts: requests.filter((r) => r.method === 'POST' && r.path.endsWith('/canvassResponses'))
          .length,
        bulkJobs: world.van.bulkImport.jobs().length,
        runVanRequestsUsed: run.vanRequestsUsed ?? 0,
        seconds,
      },
    };
  } finally {
    for (const service of services) await service.stop();
    await world.close();
  }
}

export async function benchStrategies(argv) {
  const opts = flags(argv, {
    calls: 2000,
    strategies: 'full,hybrid,bulk',
    runs: 3,
    latencyMs: 80,
    rate: 200,
    out: path.join(repoRoot, 'bench/results/strategies.json'),
  });
  const strategies = String(opts.strategies).split(',');
  const report = { at: new Date().toISOString(), settings: opts, strategies: {} };
  let reference;
  for (const strategy of strategies) {
    const runs = [];
    for (let i = 0; i < opts.runs; i += 1) {
      const { statuses, figures } = await syncOnce(opts, strategy);
      // `full` and `bulk` must end every call the same way; hybrid sends fewer calls to VAN.
      if (strategy === 'full') reference = statuses;
      if (strategy === 'bulk' && reference)
        figures.sameStatusesAsFull = [...statuses].every(([id, status]) => reference.get(id) === status);
      console.error(`strategies ${strategy} run ${i + 1}: ${JSON.stringify(figures)}`);
      runs.push(figures);
    }
    report.strategies[strategy] = medianOfRuns(runs);
    if (strategy === 'bulk' && reference)
      report.strategies.bulk.sameStatusesAsFull = runs.every((r) => r.sameStatusesAsFull);
  }
  return writeReport(opts.out, report);
}

runWhenMain(import.meta.url, benchStrategies);
