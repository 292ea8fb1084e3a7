// `npm run bench`: every benchmark, each figure the median of several runs, results as JSON in
// bench/results/ and the table in bench/README.md (between the markers), with the machine.
//   npm run bench [-- --runs 3 --only van,csv --no-extract --csv-rows 100000 …]
// A benchmark's own flags take its prefix (`--csv-rows`, `--import-rows`, `--van-calls`, …; see
// bench/README.md); `--runs` goes to all. The table is rendered from every JSON in bench/results/,
// so a benchmark run alone (`npm run bench:csv`) shows up in the next `npm run bench -- --only table`.
// Starts the local servers if needed (scripts/infra/infra.sh up); the VAN benchmark sets up the
// Parsons venv itself.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchConfigLoad } from './config-load.mjs';
import { benchContinuous } from './continuous.mjs';
import { benchCsvExport } from './csv-export.mjs';
import { benchExtract } from './extract.mjs';
import { benchImport } from './import.mjs';
import { repoRoot, useLocalServers } from './lib/services.mjs';
import { benchStrategies } from './strategies.mjs';
import { benchVanSync } from './van-sync.mjs';

const results = path.join(repoRoot, 'bench/results');

/**
 * Every benchmark `npm run bench` runs, in order: its prefix for flags, its JSON, and the flags it
 * gets by default here. The defaults keep the whole run near 25 minutes on a quiet 2-core machine;
 * each benchmark alone defaults to the issue's sizes (bench/README.md says which differ).
 */
const BENCHMARKS = [
  // Rate-bound at 4 × 1,000 calls: its steady rate is reached in the first seconds.
  { name: 'van', file: 'van-sync.json', run: benchVanSync, defaults: ['--rate-calls', '1000'] },
  {
    name: 'replicas',
    file: 'van-replicas.json',
    run: benchVanSync,
    defaults: ['--regime', 'replicas', '--runs', '1'],
  },
  // Forty candidates on 15/s keys: what many candidates' night costs in CPU per call.
  {
    name: 'wide',
    file: 'van-wide.json',
    run: benchVanSync,
    defaults: ['--regime', 'wide', '--baselines', 'no'],
  },
  { name: 'extract', file: 'extract.json', run: benchExtract, defaults: ['--runs', '1'] },
  { name: 'csv', file: 'csv-export.json', run: benchCsvExport, defaults: ['--rows', '20000,100000'] },
  { name: 'import', file: 'import.json', run: benchImport, defaults: ['--rows', '10000'] },
  { name: 'config', file: 'config-load.json', run: benchConfigLoad, defaults: ['--runs', '1'] },
  {
    name: 'strategies',
    file: 'strategies.json',
    run: benchStrategies,
    defaults: ['--calls', '1000', '--runs', '1'],
  },
  // A day of 2,000 calls, nightly then in 5-minute cycles: a few minutes, most of it the cycles.
  { name: 'continuous', file: 'continuous.json', run: benchContinuous, defaults: ['--runs', '1'] },
];

/** The flags of one benchmark: its defaults here, `--runs`, then `--<prefix>-<flag>` without the prefix. */
export function benchArgs(argv, bench) {
  const out = [...bench.defaults];
  for (let i = 0; i < argv.length; i += 1) {
    const match = /^--([a-z-]+)$/.exec(argv[i]);
    if (!match) continue;
    const value = argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : 'true';
    if (match[1] === 'runs') out.push('--runs', value);
    else if (match[1].startsWith(`${bench.name}-`))
      out.push(`--${match[1].slice(bench.name.length + 1)}`, value);
  }
  return [...out, '--out', path.join(results, bench.file)];
}

export function machine() {
  const cpus = os.cpus();
  return {
    cpu: `${cpus.length} × ${cpus[0]?.model ?? 'unknown'}`,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverageAtStart: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

const fmt = (value, digits = 1) => (typeof value === 'number' ? value.toFixed(digits) : '—');

/** The rows of every benchmark that has results; `r` holds each benchmark's JSON by name. */
export function table(r, host) {
  const rows = [];
  const row = (...cells) => rows.push(`| ${cells.join(' | ')} |`);
  row(
    'benchmark',
    'calls / rows / requests',
    'per second',
    'ratio to bound / what else',
    'p50 / p99 ms',
    'VAN req. per call',
    'duplicates / errors',
    'peak RSS MB',
  );
  row('---', '---:', '---:', '---:', '---:', '---:', '---:', '---:');
  const vanRegimes = { ...(r.van?.regimes ?? {}), ...(r.wide?.regimes ?? {}) };
  for (const [name, entry] of Object.entries(vanRegimes)) {
    const w = entry.writer;
    row(
      `VAN sync, ${name}-bound, van-writer (whole run / posting phase)`,
      w.calls,
      `${fmt(w.callsPerSecond)} / ${fmt(w.postingCallsPerSecond)}`,
      `${fmt(w.ratioToBound, 2)} / ${fmt(w.postingRatioToBound, 2)} of ${fmt(w.bound, 0)}`,
      `${fmt(w.p50Ms, 0)} / ${fmt(w.p99Ms, 0)}`,
      fmt(w.requestsPerCall, 3),
      w.duplicates,
      fmt(w.writerPeakRssMb, 0),
    );
    if (w.writerMsPerCall !== undefined)
      row(
        `VAN sync, ${name}-bound, CPU ms per synced call`,
        w.calls,
        `${fmt(w.callsPerWriterCpuSecond, 0)} calls per writer CPU s`,
        `writer ${fmt(w.writerMsPerCall, 3)}, extractor ${fmt(w.extractorMsPerCall, 3)} (ours ${fmt(w.oursMsPerCall, 3)}); MongoDB-wire ${fmt(w.mongodbMsPerCall, 3)}, Kafka ${fmt(w.kafkaMsPerCall, 3)}, bench + sandbox ${fmt(w.benchAndSandboxMsPerCall, 3)}` +
          (w.mongodbAloneMsPerCall === undefined
            ? ''
            : `; the writer's ${fmt(w.writerMongoCommands, 0)} MongoDB commands replayed alone: MongoDB-wire ${fmt(w.mongodbAloneMsPerCall, 3)} (${fmt(w.mongodbAloneMsPerCommand, 2)} a command)`),
        `first post ${fmt(w.firstPostAfterSeconds, 1)} s; start spread ${fmt(w.candidateStartSpreadSeconds, 1)} s`,
        '',
        '',
        '',
      );
    for (const base of ['original', 'parsons']) {
      const b = entry[base];
      if (!b) continue;
      if (b.skipped) {
        row(`VAN sync, ${name}-bound, ${base}`, '—', `SKIPPED: ${b.skipped}`, '', '', '', '', '');
        continue;
      }
      row(
        `VAN sync, ${name}-bound, ${base === 'original' ? 'original algorithm (5 at a time)' : 'Parsons loop'}`,
        b.calls,
        fmt(b.callsPerSecond),
        `${fmt(b.callsPerSecond / w.bound, 2)} of ${fmt(w.bound, 0)}`,
        `${fmt(b.p50Ms, 0)} / ${fmt(b.p99Ms, 0)}`,
        fmt(b.requestsPerCall, 3),
        b.duplicates,
        '',
      );
    }
  }
  const replicas = r.replicas?.regimes?.replicas?.byReplicas ?? {};
  for (const [count, w] of Object.entries(replicas)) {
    row(
      `VAN sync, ${r.replicas.settings.candidates ?? 8} candidates, ${count} van-writer replica${count === '1' ? '' : 's'} (whole run / posting phase)`,
      w.calls,
      `${fmt(w.callsPerSecond)} / ${fmt(w.postingCallsPerSecond)}`,
      `${fmt(w.speedup, 2)}× / ${fmt(w.postingSpeedup, 2)}× one replica; ${fmt(w.ratioToBound, 2)} of ${fmt(w.bound, 0)}`,
      `${fmt(w.p50Ms, 0)} / ${fmt(w.p99Ms, 0)}`,
      fmt(w.requestsPerCall, 3),
      w.duplicates,
      fmt(w.writerPeakRssMb, 0),
    );
  }
  if (r.extract) {
    const e = r.extract.extract;
    row(
      `Extraction of ${e.calls} of ${e.total} calls (claim phase / whole process)`,
      e.claimed,
      `${fmt(e.callsPerSecond, 0)} / ${fmt(e.callsPerSecondWall, 0)}`,
      `the MongoDB-wire server alone: ${fmt(e.mongoWireCursorSeconds)} s query + ${fmt(e.mongoWireClaimSeconds)} s claims of ${fmt(e.claimSeconds)} s` +
        (e.callsPerOwnCpuSecond
          ? `; the extractor's own work ${fmt(e.callsPerOwnCpuSecond, 0)} calls per CPU second (${fmt(e.extractorCpuSeconds)} s less ${fmt(e.fixedCpuSeconds)} s any run costs)`
          : '') +
        (e.uncappedPeakRssMb
          ? `; without the chart's heap cap ${fmt(e.uncappedCallsPerSecond, 0)} calls/s, ${fmt(e.uncappedPeakRssMb, 0)} MB`
          : ''),
      '',
      '',
      '',
      `${fmt(e.extractorPeakRssMb, 0)}${e.uncappedPeakRssMb ? ` (uncapped ${fmt(e.uncappedPeakRssMb, 0)})` : ''}`,
    );
  }
  for (const c of r.csv?.sizes ?? []) {
    row(
      'CSV export, MongoDB → S3, csv-writer (export / to every call finished)',
      c.rows,
      `${fmt(c.rowsPerSecond, 0)} / ${fmt(c.rowsPerSecondToFinished, 0)}`,
      `the MongoDB-wire server's cursor alone: ${fmt(c.mongoWireCursorSeconds)} s of ${fmt(c.uploadSeconds)} s` +
        (c.rowsPerWriterCpuSecond
          ? `; the writer's own work ${fmt(c.rowsPerWriterCpuSecond, 0)} rows per CPU second (the whole job)`
          : '') +
        (c.uncappedWriterPeakRssMb
          ? `; without the chart's heap cap ${fmt(c.uncappedRowsPerSecond, 0)} rows/s, ${fmt(c.uncappedWriterPeakRssMb, 0)} MB`
          : ''),
      '',
      '',
      '',
      `${fmt(c.writerPeakRssMb, 0)} (idle ${fmt(c.writerIdleRssMb, 0)}${c.uncappedWriterPeakRssMb ? `; uncapped ${fmt(c.uncappedWriterPeakRssMb, 0)}` : ''})`,
    );
  }
  if (r.import) {
    const i = r.import.import;
    row(
      'Import of a call export, `POST /calls/import` (request / service)',
      i.rows,
      `${fmt(i.rowsPerSecond, 0)} / ${fmt(i.serviceRowsPerSecond, 0)}`,
      `the MongoDB-wire server's upserts alone: ${fmt(i.mongoWireUpsertSeconds)} s of ${fmt(i.seconds)} s` +
        (i.rowsPerServiceCpuSecond
          ? `; the service's own work ${fmt(i.rowsPerServiceCpuSecond, 0)} rows per CPU second`
          : ''),
      '',
      '',
      i.rowErrors,
      `${fmt(i.configPeakRssMb, 0)} (idle ${fmt(i.configIdleRssMb, 0)})`,
    );
  }
  for (const [name, c] of Object.entries(r.config?.paths ?? {})) {
    const s = r.config.settings;
    row(
      `config \`/${name}/:candidate\` at ${s.rate}/s for ${s.duration} s, warm`,
      c.requests,
      fmt(c.requestsPerSecond, 0),
      `VAN requests during the load: ${c.vanRequests}` +
        (c.serviceP99AtMostMs !== undefined
          ? `; p99 inside the service (its histogram) ≤ ${fmt(c.serviceP99AtMostMs, 0)} ms`
          : ''),
      `${fmt(c.p50Ms, 0)} / ${fmt(c.p99Ms, 0)}`,
      '',
      c.errors,
      '',
    );
  }
  for (const [name, st] of Object.entries(r.strategies?.strategies ?? {})) {
    row(
      `VAN requests per synced call, strategy \`${name}\`, same ${r.strategies.settings.calls}-call night`,
      `${st.syncedToVan} synced of ${st.calls}`,
      '',
      `${st.vanRequests} VAN requests (${st.canvassPosts} posts, ${st.bulkJobs} bulk jobs)${st.sameStatusesAsFull === undefined ? '' : st.sameStatusesAsFull ? '; every call as under full' : '; NOT every call as under full'}`,
      '',
      fmt(st.requestsPerSyncedCall, 3),
      '',
      '',
    );
  }
  const day = r.continuous;
  for (const [mode, d] of Object.entries(day?.modes ?? {})) {
    const s = day.settings;
    const how =
      mode === 'nightly'
        ? 'nightly (one run after Sync Time)'
        : `continuous (a cycle every ${s.cycleMinutes} min, settle ${s.settleMinutes} min)`;
    row(
      `Peak VAN request rate, a day of ${s.calls} calls, ${how}`,
      `${d.posted} posted of ${d.calls}`,
      `peak ${d.peakPerSecond}`,
      `peak per minute ${d.peakPerMinute}${mode === 'nightly' ? '' : ` (nightly's ÷ ${fmt(day.peakPerMinuteRatio)}, over ${d.cycles} cycles)`}; minutes of the day with requests: ${d.minutesWithRequests}; call end → post p50 / p99 ${fmt(d.finishToPostP50Minutes, 0)} / ${fmt(d.finishToPostP99Minutes, 0)} min`,
      '',
      fmt(d.requests / d.vanCalls, 3),
      d.duplicates,
      '',
    );
  }
  const speedups = Object.entries(r.van?.regimes ?? {})
    .filter(([, e]) => e.speedupOverOriginal)
    .map(
      ([name, e]) =>
        `${name}-bound: ${fmt(e.speedupOverOriginal)}× the original algorithm` +
        (e.speedupOverParsons ? `, ${fmt(e.speedupOverParsons)}× the Parsons loop` : ''),
    );
  const runs = Object.entries(r)
    .filter(([, report]) => report?.at)
    .map(([name, report]) => `${name} ${report.at.slice(0, 16)}Z`);
  return [
    `Run on ${host.cpu}, ${host.memoryGb} GB, ${host.os}, Node ${host.node}; load average at start ${host.loadAverageAtStart}. Results of: ${runs.join(', ')}.`,
    '',
    ...rows,
    '',
    ...speedups.map((s) => `- ${s}`),
  ].join('\n');
}

/** Each benchmark's latest JSON in bench/results/, by name. */
function readResults() {
  const out = {};
  for (const bench of BENCHMARKS) {
    const file = path.join(results, bench.file);
    if (existsSync(file)) out[bench.name] = JSON.parse(readFileSync(file, 'utf8'));
  }
  return out;
}

export function writeTable(host) {
  const readme = path.join(repoRoot, 'bench/README.md');
  const text = readFileSync(readme, 'utf8');
  const begin = '<!-- results:begin -->';
  const end = '<!-- results:end -->';
  const updated = `${text.slice(0, text.indexOf(begin) + begin.length)}\n${table(readResults(), host)}\n${text.slice(text.indexOf(end))}`;
  writeFileSync(readme, updated);
}

async function main() {
  const argv = process.argv.slice(2);
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? argv[onlyAt + 1].split(',') : BENCHMARKS.map((b) => b.name);
  const chosen = BENCHMARKS.filter((b) => only.includes(b.name) && !argv.includes(`--no-${b.name}`));
  const machineFile = path.join(results, 'machine.json');
  if (chosen.length > 0) {
    useLocalServers();
    if (!existsSync(path.join(repoRoot, 'services/van-writer/dist/main.js'))) {
      throw new Error('build first: npm run build');
    }
    writeFileSync(machineFile, `${JSON.stringify(machine(), null, 2)}\n`);
  }
  for (const bench of chosen) {
    const started = Date.now();
    await bench.run(benchArgs(argv, bench));
    console.error(`== ${bench.name}: ${((Date.now() - started) / 60_000).toFixed(1)} min`);
  }
  writeTable(JSON.parse(readFileSync(machineFile, 'utf8')));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
