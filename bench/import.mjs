// Import benchmark: a dialer call export of `--rows` rows sent to the built config service's
// `POST /calls/import` (the body streamed from a file, as curl --data-binary sends it).
//   node bench/import.mjs [--rows 100000] [--runs 3] [--out bench/results/import.json]
// rows/s from the request's start to its answer (every row stored), the service's own figure
// (its import job's duration) beside it, and the config service's peak RSS (VmHWM) with its RSS
// before the upload.

import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { Collections } from '@call-sync/platform';
import { writeReport, runWhenMain } from './lib/cli.mjs';
import { processCpuSeconds, repoRoot, startService } from './lib/services.mjs';
import { flags, medianOfRuns } from './lib/stats.mjs';
import { BENCH_API_TOKEN, createPipelineWorld } from './lib/world.mjs';

/** The night's dialer export as a CSV file: the seed's rows, every column they have. */
function writeExport(rows, file) {
  const columns = Object.keys(rows[0]);
  const chunks = [stringify([columns])];
  for (let i = 0; i < rows.length; i += 10_000)
    chunks.push(stringify(rows.slice(i, i + 10_000).map((row) => columns.map((c) => row[c] ?? ''))));
  writeFileSync(file, chunks.join(''));
}

async function importOnce(world, file, rows) {
  const config = await startService('config', world.env);
  try {
    const idleRssMb = config.peakRssMb();
    const cpuBefore = processCpuSeconds(config.child.pid);
    const started = Date.now();
    const response = await fetch(`${config.url}/calls/import?file_name=bench.csv`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${BENCH_API_TOKEN}` },
      body: Readable.toWeb(createReadStream(file)),
      duplex: 'half',
    });
    const body = await response.json();
    const seconds = (Date.now() - started) / 1000;
    const cpuSeconds = processCpuSeconds(config.child.pid) - cpuBefore;
    if (response.status !== 200)
      throw new Error(`import answered ${response.status}: ${JSON.stringify(body)}`);
    if (body.counts.rows !== rows) throw new Error(`the import read ${body.counts.rows} of ${rows} rows`);
    return {
      rows,
      stored: body.counts.inserted + body.counts.updated + body.counts.unchanged,
      rowErrors: body.counts.errors,
      seconds,
      rowsPerSecond: rows / seconds,
      serviceRowsPerSecond: rows / (body.durationMs / 1000),
      // The service's own work, whatever the database: rows per CPU second it spent on the
      // request (parsing, checking, building the upserts), all its threads.
      configCpuSeconds: cpuSeconds,
      rowsPerServiceCpuSecond: rows / cpuSeconds,
      configIdleRssMb: idleRssMb,
      configPeakRssMb: config.peakRssMb(),
    };
  } finally {
    await config.stop();
  }
}

/**
 * The local MongoDB-wire server's share: the service's upserts (by id, 2,000 per bulk write, as
 * the import sends them) of the same calls, timed alone from this process.
 */
async function upsertSeconds(db, calls) {
  await db.collection(Collections.Calls).deleteMany({});
  const started = Date.now();
  for (let i = 0; i < calls.length; i += 2_000) {
    await db.collection(Collections.Calls).bulkWrite(
      calls.slice(i, i + 2_000).map((call) => ({
        updateOne: { filter: { id: call.id }, update: { $set: { ...call } }, upsert: true },
      })),
      { ordered: false },
    );
  }
  return (Date.now() - started) / 1000;
}

export async function benchImport(argv) {
  const opts = flags(argv, {
    rows: 100_000,
    runs: 3,
    out: path.join(repoRoot, 'bench/results/import.json'),
  });
  const world = await createPipelineWorld({ callsPerCandidate: opts.rows, store: false });
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-import-'));
  const file = path.join(dir, 'export.csv');
  const runs = [];
  let serverSeconds;
  try {
    const rows = world.rows.slice(0, opts.rows);
    writeExport(rows, file);
    for (let i = 0; i < opts.runs; i += 1) {
      // Each run stores every call anew.
      await world.mongo.db.collection(Collections.Calls).deleteMany({});
      const figures = await importOnce(world, file, rows.length);
      console.error(`import run ${i + 1}: ${JSON.stringify(figures)}`);
      runs.push(figures);
    }
    serverSeconds = await upsertSeconds(world.mongo.db, world.calls);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await world.close();
  }
  const figures = medianOfRuns(runs);
  figures.mongoWireUpsertSeconds = serverSeconds;
  const report = { at: new Date().toISOString(), settings: opts, import: figures };
  return writeReport(opts.out, report);
}

runWhenMain(import.meta.url, benchImport);
