// Config service under load: `/validate/:candidate` and `/configure/:candidate` at a fixed rate
// from a load generator on loopback (autocannon), one path after the other, with a warm cache.
//   node bench/config-load.mjs [--rate 200] [--duration 30] [--connections 10] [--runs 3]
//        [--out bench/results/config-load.json]
// p50/p99 of the answers, errors (connection errors, timeouts and non-2xx answers), and the VAN
// requests the service made during the load (the VAN sandbox's request log): 0 when warm.

import path from 'node:path';
import autocannon from 'autocannon';
import { writeReport, runWhenMain } from './lib/cli.mjs';
import { repoRoot, startService } from './lib/services.mjs';
import { flags, medianOfRuns } from './lib/stats.mjs';
import { BENCH_API_TOKEN, createPipelineWorld } from './lib/world.mjs';

const PATHS = ['validate', 'configure'];

async function load(url, opts) {
  const result = await autocannon({
    url,
    connections: opts.connections,
    duration: opts.duration,
    overallRate: opts.rate,
    headers: { authorization: `Bearer ${BENCH_API_TOKEN}`, accept: 'application/json' },
  });
  return {
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / opts.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

export async function benchConfigLoad(argv) {
  const opts = flags(argv, {
    rate: 200,
    duration: 30,
    connections: 50,
    runs: 3,
    out: path.join(repoRoot, 'bench/results/config-load.json'),
  });
  // A night of calls too: validate counts the candidate's recent phone ids.
  const world = await createPipelineWorld({ candidates: 2, callsPerCandidate: 500 });
  const slug = world.candidates[0];
  const config = await startService('config', world.env);
  const byPath = Object.fromEntries(PATHS.map((name) => [name, []]));
  try {
    for (let i = 0; i < opts.runs; i += 1) {
      for (const name of PATHS) {
        const url = `${config.url}/${name}/${slug}`;
        // Warm: the configuration and the key's VAN metadata are cached by the first answer.
        const warm = await fetch(url, { headers: { authorization: `Bearer ${BENCH_API_TOKEN}` } });
        if (warm.status !== 200) throw new Error(`${name} answered ${warm.status}: ${await warm.text()}`);
        const before = world.van.requestLog().length;
        const figures = await load(url, opts);
        figures.vanRequests = world.van.requestLog().length - before;
        console.error(`config-load ${name} run ${i + 1}: ${JSON.stringify(figures)}`);
        byPath[name].push(figures);
      }
    }
  } finally {
    const peak = config.peakRssMb();
    await config.stop();
    await world.close();
    console.error(`config service peak RSS ${peak?.toFixed(0)} MB`);
  }
  const report = {
    at: new Date().toISOString(),
    settings: opts,
    paths: Object.fromEntries(PATHS.map((name) => [name, medianOfRuns(byPath[name])])),
  };
  return writeReport(opts.out, report);
}

runWhenMain(import.meta.url, benchConfigLoad);
