// `npm run bench`: every benchmark, each figure the median of several runs, results as JSON in
// bench/results/ and the table in bench/README.md (between the markers), with the machine.
//   npm run bench [-- --runs 3 --van-calls … ]   (flags of each benchmark: bench/README.md)
// Starts the local servers if needed (scripts/infra/infra.sh up) and sets up the Parsons venv.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchExtract } from './extract.mjs';
import { repoRoot, useLocalServers } from './lib/services.mjs';
import { benchVanSync } from './van-sync.mjs';

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

export function table(van, extract, host) {
  const rows = [];
  const row = (...cells) => rows.push(`| ${cells.join(' | ')} |`);
  row(
    'benchmark',
    'calls',
    'calls/s',
    'ratio to bound',
    'p50 / p99 ms',
    'VAN req. per call',
    'duplicates',
    'peak RSS MB',
  );
  row('---', '---:', '---:', '---:', '---:', '---:', '---:', '---:');
  for (const [name, entry] of Object.entries(van.regimes)) {
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
  if (extract) {
    const e = extract.extract;
    row(
      `Extraction of ${e.calls} of ${e.total} calls (claim phase / whole process)`,
      e.claimed,
      `${fmt(e.callsPerSecond, 0)} / ${fmt(e.callsPerSecondWall, 0)}`,
      `the MongoDB-wire server alone: ${fmt(e.mongoWireCursorSeconds)} s query + ${fmt(e.mongoWireClaimSeconds)} s claims of ${fmt(e.claimSeconds)} s`,
      '',
      '',
      '',
      fmt(e.extractorPeakRssMb, 0),
    );
  }
  const speedups = Object.entries(van.regimes)
    .filter(([, e]) => e.speedupOverOriginal)
    .map(
      ([name, e]) =>
        `${name}-bound: ${fmt(e.speedupOverOriginal)}× the original algorithm` +
        (e.speedupOverParsons ? `, ${fmt(e.speedupOverParsons)}× the Parsons loop` : ''),
    );
  return [
    `Run ${van.at} on ${host.cpu}, ${host.memoryGb} GB, ${host.os}, Node ${host.node}; load average at start ${host.loadAverageAtStart}.`,
    '',
    ...rows,
    '',
    ...speedups.map((s) => `- ${s}`),
  ].join('\n');
}

async function main() {
  const argv = process.argv.slice(2);
  useLocalServers();
  if (!existsSync(path.join(repoRoot, 'services/van-writer/dist/main.js'))) {
    throw new Error('build first: npm run build');
  }
  try {
    execFileSync('bash', [path.join(repoRoot, 'bench/setup-parsons.sh')], { stdio: 'inherit' });
  } catch {
    console.error('!! the Parsons venv could not be set up: its column is skipped (see above)');
  }
  const host = machine();
  const van = await benchVanSync(argv);
  const extract = argv.includes('--no-extract')
    ? undefined
    : await benchExtract(argv.filter((a) => a !== '--no-extract'));
  const readme = path.join(repoRoot, 'bench/README.md');
  const text = readFileSync(readme, 'utf8');
  const begin = '<!-- results:begin -->';
  const end = '<!-- results:end -->';
  const updated = `${text.slice(0, text.indexOf(begin) + begin.length)}\n${table(van, extract, host)}\n${text.slice(text.indexOf(end))}`;
  writeFileSync(readme, updated);
  writeFileSync(path.join(repoRoot, 'bench/results/machine.json'), `${JSON.stringify(host, null, 2)}\n`);
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
