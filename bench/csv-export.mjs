// CSV export benchmark: the built csv-writer (a process, as deployed) exports a run's calls from
// MongoDB to S3, at each size of `--rows` in turn, from one `callsync.csv-export` message.
//   node bench/csv-export.mjs [--rows 100000,1000000] [--runs 3] [--out bench/results/csv-export.json]
// rows/s over the export itself (the message's publish to the run's "uploaded" time: the cursor,
// csv-stringify and the multipart upload) and to the run's end (every call marked finished);
// the csv-writer's peak RSS (VmHWM) for each size, from a fresh process per run, so its growth
// from the smallest to the largest size shows whether memory follows the rows. Each run exports
// with the chart's variables (its heap cap), as deployed, and without them, each twice (below).

import path from 'node:path';
import { CsvExportMessage, emptyRunCounts, RunState, SyncStatus } from '@call-sync/core';
import { Collections, createKafka, createLogger, createPublisher, Topics } from '@call-sync/platform';
import { newRunDocument, runCallsInStatus } from '@call-sync/store';
import { waitForValue } from '@call-sync/testkit';
import { writeReport, runWhenMain } from './lib/cli.mjs';
import { chartEnv, processCpuSeconds, repoRoot, startService } from './lib/services.mjs';
import { flags, medianOfRuns } from './lib/stats.mjs';
import { createPipelineWorld, DAY } from './lib/world.mjs';

/** Distinct dialer calls the rows are cloned from (names, times, results vary like a night's). */
const TEMPLATE_CALLS = 2_000;

async function insertRunCalls(db, templates, runId, rows) {
  const calls = db.collection(Collections.Calls);
  for (let done = 0; done < rows; done += 5_000) {
    const batch = [];
    for (let i = done; i < Math.min(rows, done + 5_000); i += 1) {
      const { _id, ...template } = templates[i % templates.length];
      batch.push({
        ...template,
        id: `csv-${runId.slice(0, 8)}-${i}`,
        run_id: runId,
        sync_status: 'in_progress',
      });
    }
    await calls.insertMany(batch);
  }
}

/** Back to the state the extractor leaves an `all csv` run in: exporting, its calls in progress. */
async function resetRun(db, runId) {
  await db
    .collection(Collections.Calls)
    .updateMany(
      { run_id: runId, sync_status: SyncStatus.Finished },
      { $set: { sync_status: SyncStatus.InProgress }, $unset: { receipt: '', synced_at: '' } },
    );
  await db.collection(Collections.Runs).updateOne(
    { _id: runId },
    {
      $set: { state: RunState.Exporting, updatedAt: new Date() },
      $unset: { csvExport: '', callerExport: '', csvUrl: '', callerCsvUrl: '', finishedAt: '' },
    },
  );
}

/** Polls the run until it ends; notes when the writer took the export (it names the object first). */
async function waitForRun(db, runId, timeoutMs, writer) {
  let takenAt;
  let run;
  return waitForValue(
    async () => {
      if (writer.child.exitCode !== null) throw new Error(`the csv-writer exited:\n${writer.output()}`);
      run = await db.collection(Collections.Runs).findOne({ _id: runId });
      if (run.csvExport && takenAt === undefined) takenAt = Date.now();
      const ended = run.state === RunState.Completed || run.state === RunState.Failed;
      return ended ? { run, takenAt } : undefined;
    },
    {
      timeoutMs,
      // Often until the writer takes the export, whose moment is measured; then at ease.
      intervalMs: () => (takenAt === undefined ? 20 : 100),
      what: () => `run ${runId} (still ${run?.state}) ended`,
    },
  );
}

/** The local MongoDB-wire server's share: the writer's own cursor, read alone from this process. */
async function cursorSeconds(db, runId) {
  const started = Date.now();
  const cursor = runCallsInStatus(db, runId, SyncStatus.Finished);
  for await (const call of cursor) void call;
  return (Date.now() - started) / 1000;
}

async function exportOnce(world, publisher, slug, runId, rows, env = {}) {
  const writer = await startService('csv-writer', { ...world.env, ...env });
  try {
    const idleRssMb = writer.peakRssMb();
    const cpuBefore = processCpuSeconds(writer.child.pid);
    await publisher.publish(Topics.CsvExport, CsvExportMessage, [
      { key: slug, value: { v: 1, runId, candidate: slug, kind: 'results', fromStatus: 'in_progress' } },
    ]);
    const { run, takenAt } = await waitForRun(world.mongo.db, runId, 600_000 + rows * 2, writer);
    const cpuSeconds = processCpuSeconds(writer.child.pid) - cpuBefore;
    if (run.state !== RunState.Completed) throw new Error(`export failed: ${run.error ?? run.state}`);
    if (run.csvExport.rows !== rows) throw new Error(`exported ${run.csvExport.rows} of ${rows} rows`);
    // From the writer taking the message (a new consumer group first reads the shared topic).
    const uploadSeconds = (run.csvExport.uploadedAt.getTime() - takenAt) / 1000;
    const seconds = (run.finishedAt.getTime() - takenAt) / 1000;
    return {
      rows,
      uploadSeconds,
      rowsPerSecond: rows / uploadSeconds,
      seconds,
      rowsPerSecondToFinished: rows / seconds,
      // The writer's own work, whatever the database: rows per CPU second it spent on the job
      // (export, upload, marking the calls), all its threads.
      writerCpuSeconds: cpuSeconds,
      rowsPerWriterCpuSecond: rows / cpuSeconds,
      writerIdleRssMb: idleRssMb,
      writerPeakRssMb: writer.peakRssMb(),
    };
  } finally {
    await writer.stop();
  }
}

export async function benchCsvExport(argv) {
  const opts = flags(argv, {
    rows: '100000,1000000',
    runs: 3,
    out: path.join(repoRoot, 'bench/results/csv-export.json'),
  });
  const sizes = String(opts.rows)
    .split(',')
    .map(Number)
    .filter((n) => n > 0)
    .sort((a, b) => a - b);
  const world = await createPipelineWorld({
    callsPerCandidate: TEMPLATE_CALLS,
    strategies: ['all csv'],
    store: false,
  });
  const slug = world.candidates[0];
  const templates = world.calls.filter((call) => call.client === slug);
  const { kafka } = createKafka(
    'bench-csv-export',
    world.env.KAFKA_BROKERS.split(','),
    createLogger('bench', 'warn'),
  );
  const publisher = await createPublisher(kafka);
  const report = {
    at: new Date().toISOString(),
    settings: { ...opts, rows: sizes, writerEnv: chartEnv('csv-writer') },
    sizes: [],
  };
  try {
    for (const rows of sizes) {
      const run = {
        ...newRunDocument({
          candidate: slug,
          trigger: 'schedule',
          window: { start: new Date(`${DAY}T04:00:00Z`), end: new Date(`${DAY}T23:59:59Z`) },
          scheduledAt: new Date(),
        }),
        state: RunState.Exporting,
        strategy: 'all csv',
        startedAt: new Date(),
        counts: { ...emptyRunCounts(), in_progress: rows },
        callsClaimed: rows,
      };
      await world.mongo.db.collection(Collections.Runs).insertOne(run);
      const inserting = Date.now();
      await insertRunCalls(world.mongo.db, templates, run.runId, rows);
      console.error(`csv-export: ${rows} calls stored in ${((Date.now() - inserting) / 1000).toFixed(1)} s`);
      // Back-to-back exports of one run alternate slow and fast on the local servers (~45,000 and
      // ~70,000 rows/s at 100,000 rows, whichever heap settings the writer has; an untimed read
      // first does not change it), so the first variant of a pair always looked the slower. Each
      // run exports as the chart runs it (its heap cap) and with V8's own heap sizing in the order
      // capped, uncapped, uncapped, capped: each variant's median is over exports in both places.
      const runs = [];
      const exportWith = async (env) => {
        await resetRun(world.mongo.db, run.runId);
        return exportOnce(world, publisher, slug, run.runId, rows, env);
      };
      for (let i = 0; i < opts.runs; i += 1) {
        const first = await exportWith({});
        const firstUncapped = await exportWith({ NODE_OPTIONS: '' });
        const secondUncapped = await exportWith({ NODE_OPTIONS: '' });
        const second = await exportWith({});
        for (const [figures, uncapped] of [
          [first, firstUncapped],
          [second, secondUncapped],
        ]) {
          figures.uncappedRowsPerSecond = uncapped.rowsPerSecond;
          figures.uncappedWriterPeakRssMb = uncapped.writerPeakRssMb;
          console.error(`csv-export ${rows} run ${i + 1}: ${JSON.stringify(figures)}`);
          runs.push(figures);
        }
      }
      const figures = { ...medianOfRuns(runs), runs: opts.runs };
      figures.mongoWireCursorSeconds = await cursorSeconds(world.mongo.db, run.runId);
      report.sizes.push(figures);
      // Room for the next size on the shared server.
      await world.mongo.db.collection(Collections.Calls).deleteMany({ run_id: run.runId });
    }
  } finally {
    await publisher.disconnect();
    await world.close();
  }
  const [smallest] = report.sizes;
  const largest = report.sizes.at(-1);
  report.rssGrowthMb = largest.writerPeakRssMb - smallest.writerPeakRssMb;
  return writeReport(opts.out, report);
}

runWhenMain(import.meta.url, benchCsvExport);
