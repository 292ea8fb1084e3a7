// One repetition of a fault: a fresh pipeline world (three candidates: full, hybrid, all csv),
// the writers as processes, one extraction, the fault injected at a random moment, recovery, and
// the tally of what matters — calls lost, calls posted twice, calls flagged "outcome unknown",
// CSVs uploaded twice, reports sent more than once (the config service runs with its report
// webhook pointed at a sink of the repetition).

import type { ChildProcess } from 'node:child_process';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { parse } from 'csv-parse/sync';
import { isTerminal, type Call } from '@call-sync/core';
import { Collections, createS3Client } from '@call-sync/platform';
import type { SeedOptions } from '@call-sync/sandbox';
import type { RunDocument } from '@call-sync/store';
import {
  IMAGE_PRELOAD,
  runServiceCommand,
  type ServiceProcess,
  startServiceProcess,
  TEST_LAUNCH,
  waitAtMost,
} from '@call-sync/testkit';
import { createWorld, NOW, waitForRuns, type World } from '../e2e/pipeline-world';
import { freshServiceGroup } from '../support/consumer-groups';
import { serverEnv, uniqueName } from '../support/env';
import type { PrivateServer } from './private-servers';
import { startReportSink, type ReportSink } from './report-sink';
import type { S3Gate } from './s3-gate';

/** The operator token of the repetition's config service (the import fault uploads with it). */
export const OPERATOR_TOKEN = 'faults-operator-token-3c9e1a7f';

/** A service's start-up, on a machine other suites load too: readiness is not what is tested here. */
const READY_WITHIN_MS = 90_000;

export interface FaultTally {
  fault: string;
  repetition: number;
  calls: number;
  /** Calls of the window left without a final status after recovery. */
  lost: number;
  /** Calls VAN holds more than once (the sandbox's journal of per-call posts). */
  duplicates: number;
  /** Rows VAN's Bulk Import jobs applied (the sandbox's journal), and those applied more than once. */
  bulkRowsApplied: number;
  bulkRowsTwice: number;
  /** Bulk Import jobs VAN received, and the jobs the runs prepared: never more of the first. */
  bulkJobsAtVan: number;
  bulkJobsPrepared: number;
  outcomeUnknown: number;
  /** Calls of a failed run handed back, unsynced, for the next run. */
  returnedForNextRun: number;
  /** Processes killed in this repetition. */
  kills: number;
  /** Runs the repetition had (one per candidate). */
  runs: number;
  runsCompleted: number;
  runsFailed: number;
  /** Why runs failed, if any did. */
  failures: string[];
  /** Results CSVs uploaded more than once for one export. */
  csvUploadedTwice: number;
  /** Reports the webhook received; runs it received more than one for; terminal runs it got none for. */
  reportsSent: number;
  runsReportedTwice: number;
  runsUnreported: number;
  seconds: number;
}

export interface FaultContext {
  world: World;
  env: Record<string, string>;
  /** The writers now running; a fault may replace them. */
  writers: { van: ServiceProcess[]; csv: ServiceProcess[]; config: ServiceProcess[] };
  startVanWriter(extra?: Record<string, string>): Promise<ServiceProcess>;
  startCsvWriter(): Promise<ServiceProcess>;
  /** The config service: operator API, and the run-events consumer that sends the reports. */
  startConfig(): Promise<ServiceProcess>;
  /** Run when the repetition ends, whatever happened (sandboxes a fault started). */
  cleanup: (() => Promise<void>)[];
  /** The extractor as the CronJob runs it; resolves when it exits. */
  spawnExtractor(): { child: ChildProcess; done: Promise<number | null> };
  kills: number;
}

export type Fault = (context: FaultContext, random: () => number) => Promise<void>;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds, or `timeoutMs` passes: a fault goes in then, met or not. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  await waitAtMost(condition, { timeoutMs, intervalMs: 20 });
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
  /** The csv-writer reaches S3 through this gate, which the fault shuts. */
  s3Gate?: S3Gate;
  /**
   * The world's candidates (default: three, full, hybrid and all csv, `callsPerCandidate` each);
   * a fault about large exports gives one all-csv candidate a night whose file is uploaded in parts.
   */
  world?: { candidates: number; strategies?: SeedOptions['strategies']; callsPerCandidate?: number };
  /**
   * The window's calls start outside MongoDB (the fault brings them in: an import, a Livevox pull);
   * each must arrive, once, and end terminal — a missing one is lost.
   */
  windowCallsAbsent?: boolean;
}): Promise<FaultTally> {
  const started = Date.now();
  const seed = 1000 + options.repetition * 7 + options.name.length;
  const random = seededRandom(seed);
  const expectedRuns = options.world?.candidates ?? 3;
  const world = await withServer(options.server, () =>
    createWorld({
      candidates: expectedRuns,
      callsPerCandidate: options.world?.callsPerCandidate ?? options.callsPerCandidate,
      seed,
      ...(options.world?.strategies ? { strategies: options.world.strategies } : {}),
    }),
  );
  const expectedCalls = options.windowCallsAbsent ? await removeWindowCalls(world) : undefined;
  const sink = await startReportSink();
  const env: Record<string, string> = {
    ...world.env,
    S3_BUCKET: uniqueName('faults').toLowerCase(),
    KAFKA_CONSUMER_GROUP: uniqueName('faults'),
    // A stalled run is resumed soon enough that a killed extractor's run finishes within the test.
    // A transient fault must stay short next to it, as a pod's restart is next to the default 30
    // minutes: a writer started again here may take most of READY_WITHIN_MS on a loaded machine,
    // then the group's session timeout, before it moves a run; a run that has not moved for twice
    // the stall is failed.
    RUN_STALL_AFTER_MS: '60000',
    VAN_TIMEOUT_MS: '3000',
    ...options.extraEnv,
  };
  const brokers = env.KAFKA_BROKERS!.split(',');
  const groups = {
    van: await freshServiceGroup('faults-van', brokers),
    csv: await freshServiceGroup('faults-csv', brokers),
    config: await freshServiceGroup('faults-config', brokers),
  };
  const context: FaultContext = {
    world,
    env,
    writers: { van: [], csv: [], config: [] },
    cleanup: [],
    kills: 0,
    startVanWriter: async (extra = {}) => {
      const writer = await startServiceProcess(
        'van-writer',
        { ...env, KAFKA_CONSUMER_GROUP: groups.van, ...extra },
        { ...TEST_LAUNCH, timeoutMs: READY_WITHIN_MS },
      );
      context.writers.van.push(writer);
      return writer;
    },
    startCsvWriter: async () => {
      const writer = await startServiceProcess(
        'csv-writer',
        {
          ...env,
          ...(options.s3Gate ? { S3_ENDPOINT: options.s3Gate.url } : {}),
          KAFKA_CONSUMER_GROUP: groups.csv,
        },
        { ...TEST_LAUNCH, timeoutMs: READY_WITHIN_MS },
      );
      context.writers.csv.push(writer);
      return writer;
    },
    startConfig: async () => {
      const config = await startServiceProcess(
        'config',
        {
          ...env,
          API_TOKENS: `faults:operator:${OPERATOR_TOKEN}`,
          REPORT_WEBHOOK_URL: sink.url,
          // A report that missed its webhook (the config service was down) is tried again soon.
          REPORT_RETRY_INTERVAL_MS: '2000',
          KAFKA_CONSUMER_GROUP: groups.config,
        },
        { ...TEST_LAUNCH, timeoutMs: READY_WITHIN_MS },
      );
      context.writers.config.push(config);
      return config;
    },
    spawnExtractor: () => {
      const { child, done } = runServiceCommand('extractor', env, ['extract', '--now', NOW], {
        preload: IMAGE_PRELOAD,
        outputLimit: 20_000,
      });
      return { child, done: done.then(({ code }) => code) };
    },
  };
  try {
    await Promise.all([context.startVanWriter(), context.startCsvWriter(), context.startConfig()]);
    await options.fault(context, random);
    // Recovery: writers that gave up are started again (as Kubernetes restarts a pod), and the
    // hourly extractor checks live runs (resumes the stalled ones), until every run has ended.
    let lastCheck = Date.now();
    const runs = await waitForRuns(world, expectedRuns, 240_000, async () => {
      await restartExited(context);
      if (Date.now() - lastCheck < 5_000) return;
      await context.spawnExtractor().done;
      lastCheck = Date.now();
    });
    const reports = await settledReports(context, sink, runs);
    if (reports.runsUnreported > 0) {
      // What the config service (which sends the reports) said, to tell a stuck consumer from a
      // failing webhook.
      for (const config of context.writers.config)
        console.log(
          `${options.name} #${options.repetition}: config service output`,
          config.output().slice(-4000),
        );
    }
    const counts = await tally(options.name, options.repetition, world, env, runs, context.kills, started, {
      expectedCalls,
      uploads: options.s3Gate?.completedUploads(),
    });
    return { ...counts, ...reports };
  } finally {
    const all = [...context.writers.van, ...context.writers.csv, ...context.writers.config];
    await Promise.all(all.map((w) => w.stop().catch(() => 0)));
    for (const step of context.cleanup) await step().catch(() => undefined);
    await sink.close();
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
  const starts = { van: context.startVanWriter, csv: context.startCsvWriter, config: context.startConfig };
  for (const kind of ['van', 'csv', 'config'] as const) {
    const dead = context.writers[kind].filter(exited);
    context.writers[kind] = context.writers[kind].filter((w) => !exited(w));
    for (const _ of dead) await starts[kind]().catch(() => undefined);
  }
}

/**
 * Takes the window's calls (those a run of the world's candidates would claim) out of MongoDB and
 * returns their ids: the fault's import or Livevox pull must bring each of them back.
 */
async function removeWindowCalls(world: World): Promise<Pick<Call, 'id' | 'district'>[]> {
  const districts = [...world.configuration.candidates.values()].map((c) => c.candidate.district);
  const untouchable = new Set(world.untouchableIds);
  const calls = world.mongo.db.collection<Call>(Collections.Calls);
  const window = (await calls.find({}, { projection: { id: 1, district: 1 } }).toArray()).filter(
    (c) => !untouchable.has(c.id) && districts.includes(c.district),
  );
  await calls.deleteMany({ id: { $in: window.map((c) => c.id) } });
  return window.map(({ id, district }) => ({ id, district }));
}

/**
 * Waits until every ended run's report reached the webhook (the config service may have been down
 * or behind), then a little longer so that a second delivery would be seen, and counts.
 */
async function settledReports(
  context: FaultContext,
  sink: ReportSink,
  runs: RunDocument[],
): Promise<Pick<FaultTally, 'reportsSent' | 'runsReportedTwice' | 'runsUnreported'>> {
  const reported = () => runs.every((run) => sink.deliveries().has(run.runId));
  // A service the fault left dead is started again between two looks; unreported runs are counted.
  await waitAtMost(
    async () => {
      if (reported()) return true;
      await restartExited(context);
      return false;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  await sleep(3_000);
  const counts = runs.map((run) => sink.deliveries().get(run.runId) ?? 0);
  return {
    reportsSent: [...sink.deliveries().values()].reduce((sum, n) => sum + n, 0),
    runsReportedTwice: counts.filter((n) => n > 1).length,
    runsUnreported: counts.filter((n) => n === 0).length,
  };
}

async function tally(
  fault: string,
  repetition: number,
  world: World,
  env: Record<string, string>,
  runs: RunDocument[],
  kills: number,
  started: number,
  checks: {
    expectedCalls?: Pick<Call, 'id' | 'district'>[] | undefined;
    uploads?: Map<string, number> | undefined;
  },
): Promise<Omit<FaultTally, 'reportsSent' | 'runsReportedTwice' | 'runsUnreported'>> {
  const calls = await world.mongo.db.collection<Call>(Collections.Calls).find().toArray();
  // A call the fault had to bring in (an import, a Livevox pull) that never arrived is lost too,
  // and one that arrived twice (two documents for one dialer call id) would be synced twice.
  const present = new Map<string, number>();
  for (const c of calls) present.set(c.id, (present.get(c.id) ?? 0) + 1);
  const storedTwice = [...present.values()].filter((n) => n > 1).length;
  const absent = (checks.expectedCalls ?? []).filter((c) => !present.has(c.id));
  const untouchable = new Set(world.untouchableIds);
  const strategyOf = new Map(runs.map((r) => [r.candidate, r.strategy]));
  const candidateOf = new Map(
    [...world.configuration.candidates.values()].map((c) => [c.candidate.district, c.candidate.slug]),
  );
  // Calls of other days (the import fault's file carries two weeks of them) are no run's business.
  const windowOf = new Map(runs.map((r) => [r.candidate, r.window]));
  const inRunWindow = (c: Call) => {
    const window = windowOf.get(candidateOf.get(c.district)!);
    const at = new Date(c.timestamp).getTime();
    return !window || (at >= new Date(window.start).getTime() && at <= new Date(window.end).getTime());
  };
  const inWindow = calls.filter(
    (c) => !untouchable.has(c.id) && candidateOf.has(c.district) && inRunWindow(c),
  );
  // A failed run hands its never-delivered calls back, unsynced, to the next run: not lost.
  const failedCandidates = new Set(runs.filter((r) => r.state === 'failed').map((r) => r.candidate));
  const unfinished = inWindow.filter(
    (c) => !isTerminal(c.sync_status, strategyOf.get(candidateOf.get(c.district)!)),
  );
  const returned = unfinished.filter(
    (c) => c.sync_status === undefined && failedCandidates.has(candidateOf.get(c.district)!),
  );
  const lostCalls = unfinished.filter((c) => !returned.includes(c));
  // Not brought in for a run that failed: still at the dialer, for the run that takes the window next.
  const failedRun = (c: Pick<Call, 'district'>) => failedCandidates.has(candidateOf.get(c.district)!);
  const neverArrived = absent.filter((c) => !failedRun(c));
  const lost = lostCalls.length + neverArrived.length;
  if (neverArrived.length > 0)
    console.log(
      `${fault} #${repetition}: ${neverArrived.length} calls never arrived`,
      neverArrived.slice(0, 5),
    );
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
  // A Bulk Import row is one call's canvass response (the voter, the time, what was answered): the
  // same row applied by two jobs is that voter written twice, whatever the jobs' ids.
  const bulkApplied = new Map<string, number>();
  for (const entry of world.van.journal()) {
    if (entry.bulk) {
      const key = JSON.stringify(entry.body);
      bulkApplied.set(key, (bulkApplied.get(key) ?? 0) + 1);
      continue;
    }
    if (!APPLIED(entry.status, entry.fault)) continue;
    const key = `${entry.path} ${JSON.stringify(entry.body)}`;
    applied.set(key, (applied.get(key) ?? 0) + 1);
  }
  const duplicates = [...applied.values()].filter((n) => n > 1).length + storedTwice;
  const bulkRowsTwice = [...bulkApplied.values()].filter((n) => n > 1).length;
  if (bulkRowsTwice > 0)
    console.log(`${fault} #${repetition}: ${bulkRowsTwice} Bulk Import rows applied twice`);
  const bulkJobsPrepared = runs.reduce((n, run) => n + (run.bulkImport?.jobs.length ?? 0), 0);

  const s3 = createS3Client({ ...serverEnv().s3, forcePathStyle: true });
  let csvUploadedTwice = 0;
  let rowsMissing = 0;
  let rowsTwice = 0;
  try {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: env.S3_BUCKET }));
    const keys = (listed.Contents ?? []).map((o) => o.Key ?? '');
    for (const run of runs) {
      const results = keys.filter((k) => k.startsWith(`${run.candidate}-`) && !k.includes('-agents-'));
      const callers = keys.filter((k) => k.startsWith(`${run.candidate}-agents-`));
      csvUploadedTwice += Math.max(0, results.length - 1) + Math.max(0, callers.length - 1);
    }
    // A call finished with a file as its receipt is only delivered if its row is in that file: an
    // upload cut off mid-way must not leave a complete-looking object short of rows.
    const receipts = new Map<string, number>();
    for (const c of inWindow) {
      if (c.sync_status === 'finished' && c.receipt?.kind === 'csv')
        receipts.set(c.receipt.url, (receipts.get(c.receipt.url) ?? 0) + 1);
    }
    for (const [url, expected] of receipts) {
      const key = url.slice(`s3://${env.S3_BUCKET}/`.length);
      const object = await s3.send(new GetObjectCommand({ Bucket: env.S3_BUCKET, Key: key }));
      const rows =
        (parse(await object.Body!.transformToString('utf8'), { bom: true }) as string[][]).length - 1;
      rowsMissing += Math.max(0, expected - rows);
      rowsTwice += Math.max(0, rows - expected);
    }
  } finally {
    s3.destroy();
  }
  // Through the gate, S3's own count: one export key completed twice is a second upload too.
  for (const n of checks.uploads?.values() ?? []) csvUploadedTwice += Math.max(0, n - 1);
  if (rowsMissing + rowsTwice > 0)
    console.log(`${fault} #${repetition}: CSV rows missing ${rowsMissing}, rows twice ${rowsTwice}`);
  return {
    fault,
    repetition,
    calls: inWindow.length,
    lost: lost + rowsMissing,
    duplicates: duplicates + rowsTwice,
    bulkRowsApplied: [...bulkApplied.values()].reduce((sum, n) => sum + n, 0),
    bulkRowsTwice,
    bulkJobsAtVan: world.van.bulkImport.jobs().length,
    bulkJobsPrepared,
    outcomeUnknown: inWindow.filter((c) => c.outcome_unknown).length,
    returnedForNextRun: returned.length + absent.filter(failedRun).length,
    kills,
    runs: runs.length,
    runsCompleted: runs.filter((r) => r.state === 'completed').length,
    runsFailed: runs.filter((r) => r.state === 'failed').length,
    failures: runs
      .filter((r) => r.state === 'failed')
      .map((r) => `${r.candidate}: ${r.error ?? 'no reason'}`),
    csvUploadedTwice,
    seconds: Math.round((Date.now() - started) / 1000),
  };
}
