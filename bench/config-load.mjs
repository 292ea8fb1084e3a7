// Config service under load: `/validate/:candidate` and `/configure/:candidate` at a fixed rate
// from a load generator on loopback (autocannon), one path after the other, with a warm cache.
//   node bench/config-load.mjs [--rate 200] [--duration 30] [--connections 10] [--runs 3]
//        [--out bench/results/config-load.json]
// p50/p99 of the answers, errors (connection errors, timeouts and non-2xx answers), the VAN
// requests the service made during the load (the VAN sandbox's request log): 0 when warm, and
// the p99 the service measured itself (its request histogram, to the bucket).

import path from 'node:path';
import autocannon from 'autocannon';
import { writeReport, runWhenMain } from './lib/cli.mjs';
import { repoRoot, startService } from './lib/services.mjs';
import { flags, medianOfRuns } from './lib/stats.mjs';
import { BENCH_API_TOKEN, createPipelineWorld } from './lib/world.mjs';

const PATHS = ['validate', 'configure'];
const WARM_UP_SECONDS = 15;
/** The route label each path's answers carry in the service's request histogram. */
const ROUTES = { validate: '/validate/:candidate', configure: '/configure/:candidate' };

/**
 * The service's own count of its answers to `route` per histogram bucket (upper bound in seconds
 * → answers at most that long), from its /metrics: the time inside the service, without the
 * network, the kernel's queues or the load generator.
 */
async function serviceBuckets(baseUrl, route) {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const buckets = new Map();
  for (const [, labels, count] of text.matchAll(
    /^callsync_http_request_duration_seconds_bucket\{([^}]*)\} (\d+)$/gm,
  )) {
    if (!labels.includes(`route="${route}"`)) continue;
    const le = /le="([^"]+)"/.exec(labels)[1];
    buckets.set(le, (buckets.get(le) ?? 0) + Number(count));
  }
  return buckets;
}

/** The smallest bucket bound that holds 99 % of the answers made between two readings, in ms. */
function serviceP99AtMostMs(before, after) {
  const total = (after.get('+Inf') ?? 0) - (before.get('+Inf') ?? 0);
  if (total === 0) throw new Error('the service counted no answers for the route under load');
  const bounds = [...after.keys()].filter((le) => le !== '+Inf').sort((a, b) => Number(a) - Number(b));
  for (const le of bounds) {
    if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= 0.99 * total) return Number(le) * 1000;
  }
  return Infinity;
}

async function load(url, opts) {
  const result = await autocannon({
    url,
    // Its own thread: the benchmark's process also runs the sandboxes, whose event loop would
    // otherwise delay the generator's own timing and count as the service's latency.
    workers: 1,
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
        // Seconds of the same load first, not counted: in its first ~10 s a new process answers
        // slower (its code not yet compiled, its consumer group joining); a running service does not.
        if (i === 0) await load(url, { ...opts, duration: WARM_UP_SECONDS });
        const before = world.van.requestLog().length;
        const bucketsBefore = await serviceBuckets(config.url, ROUTES[name]);
        const figures = await load(url, opts);
        figures.vanRequests = world.van.requestLog().length - before;
        figures.serviceP99AtMostMs = serviceP99AtMostMs(
          bucketsBefore,
          await serviceBuckets(config.url, ROUTES[name]),
        );
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
