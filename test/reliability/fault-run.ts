// One repetition of a fault: a fresh pipeline world (three candidates: full, hybrid, all csv),
// the writers as processes, one extraction, the fault injected at a random moment, recovery, and
// the tally of what matters — calls lost, calls posted twice, calls flagged "outcome unknown".

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { isTerminal, type Call } from '@call-sync/core';
import { Collections, createS3Client } from '@call-sync/platform';
import type { RunDocument } from '@call-sync/store';
import { createWorld, NOW, waitForRuns, type World } from '../e2e/pipeline-world';
import { repoRoot } from '../servers';
import { serverEnv, uniqueName } from '../support/env';
import { serviceNodeArgs, startServiceProcess, type ServiceProcess } from '../support/service-process';
import type { PrivateServer } from './private-servers';

export interface FaultTally {
  fault: string;
  repetition: number;
  calls: number;
  /** Calls of the window left without a final status after recovery. */
  lost: number;
  /** Calls VAN holds more than once (the sandbox's journal). */
  duplicates: number;
  outcomeUnknown: number;
  /** Calls of a failed run handed back, unsynced, for the next run. */
  returnedForNextRun: number;
  /** Processes killed in this repetition. */
  kills: number;
  runsCompleted: number;
  runsFailed: number;
  /** Why runs failed, if any did. */
  failures: string[];
  /** Results CSVs uploaded more than once for one export. */
  csvUploadedTwice: number;
  seconds: number;
}

export interface FaultContext {
  world: World;
  env: Record<string, string>;
  /** The writers now running; a fault may replace them. */
  writers: { van: ServiceProcess[]; csv: ServiceProcess[] };
  startVanWriter(extra?: Record<string, string>): Promise<ServiceProcess>;
  startCsvWriter(): Promise<ServiceProcess>;
  /** The extractor as the CronJob runs it; resolves when it exits. */
  spawnExtractor(): { child: ChildProcess; done: Promise<number | null> };
  kills: number;
}

export type Fault = (context: FaultContext, random: () => number) => Promise<void>;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds, or `timeoutMs` passes. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition()) && Date.now() < deadline) await sleep(20);
}

/** A small deterministic generator, so a failing repetition can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

const APPLIED = (status: number | null, fault: string | undefined) =>
  (status !== null && status >= 200 && status < 300) || fault === 'timeout';

export async function runWithFault(options: {
  name: string;
  repetition: number;
  callsPerCandidate: number;
  fault: Fault;
  extraEnv?: Record<string, string>;
  /** A server of the fault's own (a broker or database it stops), instead of the shared one. */
  server?: PrivateServer;
}): Promise<FaultTally> {
  const started = Date.now();
  const seed = 1000 + options.repetition * 7 + options.name.length;
  const random = seededRandom(seed);
  const world = await withServer(options.server, () =>
    createWorld({ candidates: 3, callsPerCandidate: options.callsPerCandidate, seed }),
  );
  const env: Record<string, string> = {
    ...world.env,
    S3_BUCKET: uniqueName('faults').toLowerCase(),
    KAFKA_CONSUMER_GROUP: uniqueName('faults'),
    // A stalled run is resumed quickly, so a killed extractor's run finishes within the test.
    RUN_STALL_AFTER_MS: '10000',
    VAN_TIMEOUT_MS: '3000',
    ...options.extraEnv,
  };
  const groups = { van: uniqueName('faults-van'), csv: uniqueName('faults-csv') };
  const context: FaultContext = {
    world,
    env,
    writers: { van: [], csv: [] },
    kills: 0,
    startVanWriter: async (extra = {}) => {
      const writer = await startServiceProcess('van-writer', {
        ...env,
        KAFKA_CONSUMER_GROUP: groups.van,
        ...extra,
      });
      context.writers.van.push(writer);
      return writer;
    },
    startCsvWriter: async () => {
      const writer = await startServiceProcess('csv-writer', { ...env, KAFKA_CONSUMER_GROUP: groups.csv });
      context.writers.csv.push(writer);
      return writer;
    },
    spawnExtractor: () => {
      const child = spawn(
        process.execPath,
        serviceNodeArgs(path.join(repoRoot, 'services/extractor/dist/main.js'), ['extract', '--now', NOW]),
        { env: { ...process.env, ...env, PORT: '0' }, stdio: ['ignore', 'ignore', 'ignore'] },
      );
      const done = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      return { child, done };
    },
  };
  try {
    await Promise.all([context.startVanWriter(), context.startCsvWriter()]);
    await options.fault(context, random);
    // Recovery: writers that gave up are started again (as Kubernetes restarts a pod), and the
    // hourly extractor checks live runs (resumes the stalled ones), until every run has ended.
    let lastCheck = Date.now();
    const runs = await waitForRuns(world, 3, 240_000, async () => {
      await restartExited(context);
      if (Date.now() - lastCheck < 5_000) return;
      await context.spawnExtractor().done;
      lastCheck = Date.now();
    });
    return await tally(options.name, options.repetition, world, env, runs, context.kills, started);
  } finally {
    await Promise.all([...context.writers.van, ...context.writers.csv].map((w) => w.stop().catch(() => 0)));
    await world.close();
  }
}

/** createWorld reads the servers from the environment: point it at the fault's own for the call. */
async function withServer<T>(server: PrivateServer | undefined, work: () => Promise<T>): Promise<T> {
  if (!server) return work();
  const previous = process.env[server.variable];
  process.env[server.variable] = server.value;
  try {
    return await work();
  } finally {
    process.env[server.variable] = previous;
  }
}

async function restartExited(context: FaultContext): Promise<void> {
  const exited = (w: ServiceProcess) => w.child.exitCode !== null || w.child.signalCode !== null;
  const deadVan = context.writers.van.filter(exited);
  const deadCsv = context.writers.csv.filter(exited);
  context.writers.van = context.writers.van.filter((w) => !exited(w));
  context.writers.csv = context.writers.csv.filter((w) => !exited(w));
  for (const _ of deadVan) await context.startVanWriter().catch(() => undefined);
  for (const _ of deadCsv) await context.startCsvWriter().catch(() => undefined);
}

async function tally(
  fault: string,
  repetition: number,
  world: World,
  env: Record<string, string>,
  runs: RunDocument[],
  kills: number,
  started: number,
): Promise<FaultTally> {
  const calls = await world.mongo.db.collection<Call>(Collections.Calls).find().toArray();
  const untouchable = new Set(world.untouchableIds);
  const strategyOf = new Map(runs.map((r) => [r.candidate, r.strategy]));
  const candidateOf = new Map(
    [...world.configuration.candidates.values()].map((c) => [c.candidate.district, c.candidate.slug]),
  );
  const inWindow = calls.filter((c) => !untouchable.has(c.id) && candidateOf.has(c.district));
  // A failed run hands its never-delivered calls back, unsynced, to the next run: not lost.
  const failedCandidates = new Set(runs.filter((r) => r.state === 'failed').map((r) => r.candidate));
  const unfinished = inWindow.filter(
    (c) => !isTerminal(c.sync_status, strategyOf.get(candidateOf.get(c.district)!)),
  );
  const returned = unfinished.filter(
    (c) => c.sync_status === undefined && failedCandidates.has(candidateOf.get(c.district)!),
  );
  const lostCalls = unfinished.filter((c) => !returned.includes(c));
  const lost = lostCalls.length;
  if (lost > 0) {
    const detail = new Map<string, number>();
    for (const c of lostCalls) {
      const key = `${candidateOf.get(c.district)} ${strategyOf.get(candidateOf.get(c.district)!)} ${c.sync_status ?? 'unsynced'}`;
      detail.set(key, (detail.get(key) ?? 0) + 1);
    }
    console.log(
      `${fault} #${repetition}: lost calls by candidate, strategy and status`,
      [...detail],
      runs.map((r) => [r.candidate, r.state, r.counts, r.error]),
    );
  }

  const applied = new Map<string, number>();
  for (const entry of world.van.journal()) {
    if (!APPLIED(entry.status, entry.fault)) continue;
    const key = `${entry.path} ${JSON.stringify(entry.body)}`;
    applied.set(key, (applied.get(key) ?? 0) + 1);
  }
  const duplicates = [...applied.values()].filter((n) => n > 1).length;

  const s3 = createS3Client({ ...serverEnv().s3, forcePathStyle: true });
  let csvUploadedTwice = 0;
  try {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: env.S3_BUCKET }));
    const keys = (listed.Contents ?? []).map((o) => o.Key ?? '');
    for (const run of runs) {
      const results = keys.filter((k) => k.startsWith(`${run.candidate}-`) && !k.includes('-agents-'));
      const callers = keys.filter((k) => k.startsWith(`${run.candidate}-agents-`));
      csvUploadedTwice += Math.max(0, results.length - 1) + Math.max(0, callers.length - 1);
    }
  } finally {
    s3.destroy();
  }
  return {
    fault,
    repetition,
    calls: inWindow.length,
    lost,
    duplicates,
    outcomeUnknown: inWindow.filter((c) => c.outcome_unknown).length,
    returnedForNextRun: returned.length,
    kills,
    runsCompleted: runs.filter((r) => r.state === 'completed').length,
    runsFailed: runs.filter((r) => r.state === 'failed').length,
    failures: runs
      .filter((r) => r.state === 'failed')
      .map((r) => `${r.candidate}: ${r.error ?? 'no reason'}`),
    csvUploadedTwice,
    seconds: Math.round((Date.now() - started) / 1000),
  };
}
