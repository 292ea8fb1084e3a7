// VAN sync benchmark: the built extractor and van-writer(s) as processes against the VAN sandbox
// at a fixed latency, in two regimes, beside the original algorithm and a Parsons loop.
//   node bench/van-sync.mjs [--regime latency|rate|both|replicas] [--runs 3] [--calls N]
//        [--candidates N] [--rate R] [--latency-ms 80] [--replicas 1] [--replica-counts 1,2,4]
//        [--latency-calls N] [--rate-calls N] [--baseline-calls 1000] [--baselines yes|no]
//        [--config-copy yes|no] [--mongo-alone yes|no]
//        [--out bench/results/van-sync.json]
// With --mongo-alone yes (the default) one more run records the writers' MongoDB commands and
// replays them alone against the server (bench/lib/replay-mongo-commands.mjs): its CPU for exactly
// them. That run is not among the timed ones: the recorder's work would be billed to the writer.
// The replicas regime runs the same many-candidate world with each count of van-writer replicas
// in turn (one consumer group), and reports each count's throughput over one replica's.
// Every figure is the median of the runs. Needs the local servers (`npm run infra:up`) and a build.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Collections } from '@call-sync/platform';
import { runOriginal } from './baselines/original.mjs';
import { writeReport, runWhenMain } from './lib/cli.mjs';
import { recordedCommands, replayCommands } from './lib/replay-mongo-commands.mjs';
import { pidListeningOn, processCpuSeconds, repoRoot, runOnce, startService } from './lib/services.mjs';
import { flags, medianOfRuns, percentile } from './lib/stats.mjs';
import { vanFigures } from './lib/van-requests.mjs';
import { createVanWorld, NOW } from './lib/world.mjs';

const REGIMES = {
  latency: { candidates: 1, calls: 10_000, rate: 200 },
  rate: { candidates: 4, calls: 2_500, rate: 15 },
  // Keys fast enough that the writers, not VAN, are what limits: where replicas can help.
  replicas: { candidates: 8, calls: 500, rate: 200 },
  // A campaign organisation's night: many candidates on VAN's common 15/s keys at once.
  wide: { candidates: 40, calls: 300, rate: 15 },
};
/** The van-writer's default cap on posts in flight per key (VAN_WRITER_CONCURRENCY). */
const DEFAULT_IN_FLIGHT = 128;
const cacheDir = process.env.CALL_SYNC_CACHE ?? path.join(process.env.HOME ?? '/tmp', '.cache/call-sync');
const parsonsPython = path.join(cacheDir, 'parsons-venv/bin/python');

/** The servers a run talks to, found by the ports of MONGODB_URL and KAFKA_BROKERS. */
function serverPids() {
  const portOf = (address, fallback) => Number(/:(\d+)/.exec(address ?? '')?.[1] ?? fallback);
  return {
    mongodb: pidListeningOn(portOf(process.env.MONGODB_URL?.replace(/^mongodb:\/\//, ''), 27017)),
    kafka: pidListeningOn(portOf(process.env.KAFKA_BROKERS?.split(',')[0], 9092)),
  };
}

/** CPU seconds the servers have used so far (0 for one that cannot be found). */
function serverCpuSeconds(pids) {
  return Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, (pid && processCpuSeconds(pid)) || 0]),
  );
}

/** This process's CPU (the VAN sandbox and the bench's own reads), in seconds. */
const ownCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/**
 * CPU milliseconds per synced call of each process over a run, ours and the servers', so the cost
 * of a call can be read beside its throughput (and a bigger machine's cores sized from it).
 */
function cpuPerCall(before, after, calls) {
  const perCall = (seconds) => Math.round(((seconds * 1000) / calls) * 1000) / 1000;
  const ours = after.writers + after.extractor - before.writers;
  return {
    writerMsPerCall: perCall(after.writers - before.writers),
    extractorMsPerCall: perCall(after.extractor),
    oursMsPerCall: perCall(ours),
    mongodbMsPerCall: perCall(after.mongodb - before.mongodb),
    kafkaMsPerCall: perCall(after.kafka - before.kafka),
    benchAndSandboxMsPerCall: perCall(after.own - before.own),
    callsPerWriterCpuSecond: Math.round(calls / Math.max(0.001, after.writers - before.writers)),
  };
}

/**
 * The Parsons baseline's venv, made on first use and reused after (bench/setup-parsons.sh): the
 * benchmark alone on a new machine measures the baseline too. When it cannot be made, the column
 * is skipped and says why.
 */
function setUpParsons() {
  try {
    execFileSync('bash', [path.join(repoRoot, 'bench/setup-parsons.sh')], { stdio: 'inherit' });
  } catch {
    console.error('!! the Parsons venv could not be set up: its column is skipped (see above)');
  }
}

async function waitUntilSynced(world, expected, timeoutMs, writers) {
  const calls = world.mongo.db.collection(Collections.Calls);
  // By district too, as the pipeline's own queries are: the index check of npm test sees this one.
  const districts = [...new Set(world.calls.map((entry) => entry.call.district))];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = writers.find((w) => w.child.exitCode !== null);
    if (dead) throw new Error(`a van-writer exited with ${dead.child.exitCode}:\n${dead.output()}`);
    const settled = await calls.countDocuments({
      district: { $in: districts },
      sync_status: { $in: ['finished', 'attempted_error', 'unattempted_error'] },
    });
    if (settled >= expected) return;
    if (Date.now() > deadline) throw new Error(`only ${settled} of ${expected} calls settled in time`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function writerRun(opts, regime) {
  const world = await createVanWorld({
    candidates: opts.candidates ?? regime.candidates,
    calls: opts.calls ?? regime.calls,
    ratePerSecond: opts.rate ?? regime.rate,
    latencyMs: opts.latencyMs,
    configCopy: opts.configCopy !== 'no',
  });
  const writers = [];
  const commandsDir =
    opts.mongoAlone === 'yes' ? mkdtempSync(path.join(tmpdir(), 'call-sync-writer-commands-')) : undefined;
  const writerEnv = commandsDir ? { ...world.env, BENCH_MONGO_COMMANDS_DIR: commandsDir } : world.env;
  const recording = commandsDir
    ? ['--require', path.join(repoRoot, 'bench/lib/count-mongo-commands.cjs')]
    : [];
  let figures;
  try {
    for (let i = 0; i < opts.replicas; i += 1)
      writers.push(await startService('van-writer', writerEnv, [], 60_000, recording));
    const expected = world.calls.length;
    const writersCpu = () => writers.reduce((sum, w) => sum + (processCpuSeconds(w.child.pid) ?? 0), 0);
    const servers = serverPids();
    const cpuBefore = { writers: writersCpu(), own: ownCpuSeconds(), ...serverCpuSeconds(servers) };
    const started = Date.now();
    const extraction = await runOnce('extractor', world.env, ['extract', '--now', NOW]);
    if (extraction.code !== 0) throw new Error(`extractor failed:\n${extraction.output}`);
    const extractorSeconds = (Date.now() - started) / 1000;
    await waitUntilSynced(
      world,
      expected,
      Math.max(600_000, (expected / ((opts.rate ?? regime.rate) * 0.5)) * 1000),
      writers,
    );
    const cpuAfter = {
      writers: writersCpu(),
      extractor: extraction.cpuSeconds,
      own: ownCpuSeconds(),
      ...serverCpuSeconds(servers),
    };
    const docs = await world.mongo.db
      .collection(Collections.Calls)
      .find(
        {},
        { projection: { client: 1, sync_status: 1, synced_at: 1, posting_started_at: 1, receipt: 1 } },
      )
      .toArray();
    const finished = docs.filter((d) => d.sync_status === 'finished').length;
    const lastAt = Math.max(...docs.map((d) => d.synced_at?.getTime() ?? 0));
    const latencies = docs
      .filter((d) => d.receipt?.postedAt && d.posting_started_at)
      .map((d) => d.receipt.postedAt.getTime() - d.posting_started_at.getTime());
    const seconds = (lastAt - started) / 1000;
    // From the first post's mark to the last outcome: the writer alone, without process start,
    // configuration load and extraction.
    const firstMark = Math.min(...docs.map((d) => d.posting_started_at?.getTime() ?? Infinity));
    const postingSeconds = (lastAt - firstMark) / 1000;
    const rate = opts.rate ?? regime.rate;
    // Per candidate: its calls, its first posting mark and its last outcome.
    const byCandidate = new Map();
    for (const d of docs) {
      const own = byCandidate.get(d.client) ?? { calls: 0, first: Infinity, last: 0 };
      own.calls += 1;
      own.first = Math.min(own.first, d.posting_started_at?.getTime() ?? Infinity);
      own.last = Math.max(own.last, d.synced_at?.getTime() ?? 0);
      byCandidate.set(d.client, own);
    }
    const postingCandidates = [...byCandidate.values()].filter((c) => Number.isFinite(c.first));
    // How long the last candidate waited for its first post after the first one's: candidates
    // served one after another show here.
    const firstMarks = postingCandidates.map((c) => c.first);
    const candidateStartSpreadSeconds = (Math.max(...firstMarks) - Math.min(...firstMarks)) / 1000;
    // Each candidate's own pace from its first mark to its last outcome, as a share of its key's
    // rate (median over candidates): whether a key, once started, is kept busy.
    const keyPaceRatio = percentile(
      postingCandidates.map((c) => c.calls / ((c.last - c.first) / 1000) / rate),
      0.5,
    );
    const keys = world.candidates.length;
    const bound = Math.min(keys * rate, (keys * DEFAULT_IN_FLIGHT) / (opts.latencyMs / 1000));
    figures = {
      calls: expected,
      finished,
      seconds,
      callsPerSecond: expected / seconds,
      bound,
      ratioToBound: expected / seconds / bound,
      postingCallsPerSecond: expected / postingSeconds,
      postingRatioToBound: expected / postingSeconds / bound,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      ...vanFigures(world.van, expected),
      writerPeakRssMb: Math.max(...writers.map((w) => w.peakRssMb() ?? 0)),
      firstPostAfterSeconds: (firstMark - started) / 1000,
      candidateStartSpreadSeconds,
      keyPaceRatio,
      extractorSeconds,
      ...cpuPerCall(cpuBefore, cpuAfter, expected),
    };
  } finally {
    // Stopped before the replay: a writer writes the commands it recorded as it exits.
    for (const writer of writers) await writer.stop();
  }
  if (commandsDir) {
    try {
      Object.assign(figures, await mongoAlone(world, commandsDir, figures.calls));
    } finally {
      rmSync(commandsDir, { recursive: true, force: true });
    }
  }
  return { world, figures };
}

/** The figures of a run that come from replaying the writers' recorded commands alone. */
const MONGO_ALONE_FIGURES = [
  'writerMongoCommands',
  'writerMongoCommandsFailedOnReplay',
  'mongodbAloneSeconds',
  'mongodbAloneMsPerCall',
  'mongodbAloneMsPerCommand',
  'replayClientMsPerCall',
];

/**
 * The median of `opts.runs` timed runs, none of them with the command recorder: its own work (a
 * BSON copy of every command) would be billed to the writer, ~0.1 ms a call on the wide night.
 * With --mongo-alone yes, one more run records the writers' commands and replays them alone; of
 * that run only the replay's figures are kept. `afterRun(world, i)` sees each timed run's world.
 */
async function measuredRuns(opts, regime, label, afterRun) {
  const runs = [];
  for (let i = 0; i < opts.runs; i += 1) {
    const { world, figures } = await writerRun({ ...opts, mongoAlone: 'no' }, regime);
    try {
      console.error(`${label} run ${i + 1}: ${JSON.stringify(figures)}`);
      runs.push(figures);
      await afterRun?.(world, i);
    } finally {
      await world.close();
    }
  }
  const median = medianOfRuns(runs);
  if (opts.mongoAlone !== 'yes') return median;
  const { world, figures } = await writerRun(opts, regime);
  await world.close();
  const alone = Object.fromEntries(MONGO_ALONE_FIGURES.map((key) => [key, figures[key]]));
  console.error(`${label} commands recorded, replayed alone: ${JSON.stringify(alone)}`);
  return { ...median, ...alone };
}

/**
 * The writers' MongoDB commands replayed alone against the server, on the same documents put back
 * as the extractor left them (calls in progress, runs writing): the server's CPU and time for
 * exactly the commands of the run, with no VAN, no Kafka and nothing else on the cores.
 */
async function mongoAlone(world, commandsDir, calls) {
  const commands = recordedCommands(commandsDir, 'van-writer');
  const db = world.mongo.db;
  const districts = [...new Set(world.calls.map((entry) => entry.call.district))];
  const runIds = await db.collection(Collections.Calls).distinct('run_id', { district: { $in: districts } });
  await db.collection(Collections.Calls).updateMany(
    { district: { $in: districts } },
    {
      $set: { sync_status: 'in_progress' },
      $unset: {
        posting_started_at: '',
        posting_request_id: '',
        posting_lease_until: '',
        receipt: '',
        synced_at: '',
        error: '',
        outcome_unknown: '',
      },
    },
  );
  await db.collection(Collections.Runs).updateMany({ _id: { $in: runIds } }, { $set: { state: 'writing' } });
  const { mongodb: pid } = serverPids();
  const serverBefore = (pid && processCpuSeconds(pid)) || 0;
  const ownBefore = ownCpuSeconds();
  const started = Date.now();
  const { sent, failed } = await replayCommands(world.mongo.client, commands);
  const seconds = (Date.now() - started) / 1000;
  const serverSeconds = ((pid && processCpuSeconds(pid)) || 0) - serverBefore;
  const perCall = (s) => Math.round(((s * 1000) / calls) * 1000) / 1000;
  return {
    writerMongoCommands: sent,
    writerMongoCommandsFailedOnReplay: failed,
    mongodbAloneSeconds: seconds,
    mongodbAloneMsPerCall: perCall(serverSeconds),
    mongodbAloneMsPerCommand: Math.round(((serverSeconds * 1000) / Math.max(1, sent)) * 1000) / 1000,
    replayClientMsPerCall: perCall(ownCpuSeconds() - ownBefore),
  };
}

function runParsons(world, calls) {
  return new Promise((resolve, reject) => {
    const entry = calls[0];
    const child = spawn(parsonsPython, [path.join(repoRoot, 'bench/baselines/parsons_loop.py')], {
      env: {
        ...process.env,
        VAN_API_URL: world.van.url,
        VAN_API_KEY: entry.config.candidate.apiKey.reveal(),
        VAN_APPLICATION_NAME: world.env.VAN_APPLICATION_NAME,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`parsons loop exited ${code}: ${err.slice(-2000)}`));
      resolve(JSON.parse(out));
    });
    child.stdin.end(calls.map((c) => JSON.stringify(c.vanRequest)).join('\n'));
  });
}

async function baselines(opts, world, regime) {
  const rate = opts.rate ?? regime.rate;
  const sample = world.calls.slice(0, opts.baselineCalls);
  const result = {};
  world.van.resetJournal();
  let fromRequest = world.van.requestLog().length;
  const original = await runOriginal({
    db: world.mongo.db,
    calls: sample,
    van: world.van,
    applicationName: world.env.VAN_APPLICATION_NAME,
    ratePerSecond: rate,
  });
  result.original = {
    calls: original.posted,
    callsPerSecond: original.posted / original.seconds,
    p50Ms: percentile(original.latencies, 0.5),
    p99Ms: percentile(original.latencies, 0.99),
    ...vanFigures(world.van, original.posted, fromRequest),
  };
  if (!existsSync(parsonsPython)) {
    console.error(`!! Parsons baseline SKIPPED: no venv at ${parsonsPython} (bash bench/setup-parsons.sh)`);
    result.parsons = { skipped: 'parsons venv missing' };
    return result;
  }
  world.van.resetJournal();
  fromRequest = world.van.requestLog().length;
  // One key, as a cron job for one campaign would run.
  const slug = sample[0].config.candidate.slug;
  const parsonsCalls = sample.filter((c) => c.config.candidate.slug === slug).slice(0, opts.parsonsCalls);
  const parsons = await runParsons(world, parsonsCalls);
  result.parsons = {
    calls: parsons.posted,
    failed: parsons.failed,
    callsPerSecond: parsons.posted / parsons.seconds,
    p50Ms: percentile(parsons.latenciesMs, 0.5),
    p99Ms: percentile(parsons.latenciesMs, 0.99),
    ...vanFigures(world.van, parsons.posted, fromRequest),
  };
  return result;
}

/** The same world with 1, 2, 4, … van-writer replicas: each count's median, and its speed-up. */
async function replicasRegime(opts) {
  const counts = String(opts.replicaCounts).split(',').map(Number);
  const byReplicas = {};
  for (const replicas of counts) {
    byReplicas[replicas] = {
      ...(await measuredRuns({ ...opts, replicas }, REGIMES.replicas, `replicas ${replicas}`)),
      replicas,
    };
  }
  const one = byReplicas[counts[0]];
  for (const figures of Object.values(byReplicas)) {
    figures.speedup = figures.callsPerSecond / one.callsPerSecond;
    figures.postingSpeedup = figures.postingCallsPerSecond / one.postingCallsPerSecond;
  }
  return { byReplicas };
}

export async function benchVanSync(argv) {
  const opts = flags(argv, {
    regime: 'both',
    runs: 3,
    calls: undefined,
    candidates: undefined,
    rate: undefined,
    latencyMs: 80,
    replicas: 1,
    replicaCounts: '1,2,4',
    baselines: 'yes',
    // `no`: no config service copy of the result tables, so the extractor reads each from Airtable.
    configCopy: 'yes',
    mongoAlone: 'yes',
    baselineCalls: 1000,
    parsonsCalls: 300,
    out: path.join(repoRoot, 'bench/results/van-sync.json'),
  });
  for (const key of ['calls', 'candidates', 'rate'])
    if (opts[key] !== undefined) opts[key] = Number(opts[key]);
  const regimes = opts.regime === 'both' ? ['latency', 'rate'] : [opts.regime];
  if (opts.baselines === 'yes' && regimes.includes('latency')) setUpParsons();
  const report = { at: new Date().toISOString(), settings: { ...opts }, regimes: {} };
  for (const name of regimes) {
    if (name === 'replicas') {
      report.regimes.replicas = await replicasRegime(opts);
      continue;
    }
    // `--rate-calls N` sizes one regime of `both` (npm run bench keeps the rate-bound one short).
    const regime = { ...REGIMES[name], calls: Number(opts[`${name}Calls`] ?? REGIMES[name].calls) };
    const baselineRuns = [];
    const writer = await measuredRuns(opts, regime, name, async (world, i) => {
      if (opts.baselines !== 'yes' || name !== 'latency') return;
      const b = await baselines(opts, world, regime);
      console.error(
        `${name} baselines ${i + 1}: ${JSON.stringify({ ...b, parsons: { ...b.parsons, latenciesMs: undefined } })}`,
      );
      baselineRuns.push(b);
    });
    const entry = { writer };
    if (baselineRuns.length > 0) {
      entry.original = medianOfRuns(baselineRuns.map((b) => b.original));
      entry.parsons = baselineRuns[0].parsons.skipped
        ? baselineRuns[0].parsons
        : medianOfRuns(baselineRuns.map((b) => b.parsons));
      entry.speedupOverOriginal = writer.callsPerSecond / entry.original.callsPerSecond;
      if (!entry.parsons.skipped)
        entry.speedupOverParsons = writer.callsPerSecond / entry.parsons.callsPerSecond;
    }
    report.regimes[name] = entry;
  }
  return writeReport(opts.out, report);
}

runWhenMain(import.meta.url, benchVanSync);
