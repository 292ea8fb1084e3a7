// The benchmark's smoke run: `bench/van-sync.mjs` at a small size, with the built services, must
// sync every call exactly once, VAN processing one post per call; the other benchmarks at tiny sizes
// must do what they measure (export every row, import every row, answer under load from a warm
// cache, sync the same night with each strategy, have each Kafka client commit every message).
// Correctness only: no figure of time is asserted (the machine is shared). Build first: `npx tsc -b`.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../servers';

jest.setTimeout(300_000);

interface WriterFigures {
  calls: number;
  finished: number;
  vanRequests: number;
  acceptedPosts: number;
  throttled: number;
  duplicates: number;
  writerMongoCommands: number;
  writerMongoCommandsFailedOnReplay: number;
}

function runBench(args: string[], script = 'van-sync.mjs'): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bench', script), ...args], {
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

test.each([
  ['latency', ['--candidates', '1', '--calls', '240', '--rate', '200']],
  ['rate', ['--candidates', '2', '--calls', '60', '--rate', '30']],
])(
  'the %s-bound VAN sync benchmark syncs every call once, one processed post each',
  async (regime, sizes) => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'bench-smoke-')), 'van-sync.json');
    const { code, output } = await runBench([
      '--regime',
      regime,
      ...sizes,
      '--runs',
      '1',
      '--latency-ms',
      '10',
      '--baselines',
      'no',
      '--out',
      out,
    ]);
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    const report = JSON.parse(readFileSync(out, 'utf8')) as {
      regimes: Record<string, { writer: WriterFigures }>;
    };
    const writer = report.regimes[regime]!.writer;
    const expectedCalls = regime === 'latency' ? 240 : 2 * 60;
    expect(writer.calls).toBe(expectedCalls);
    expect(writer.finished).toBe(expectedCalls);
    // VAN processed exactly one post per call. A request it refused with 429 (timing jitter can
    // crowd VAN's one-second window although the writer paces under the key's rate) processed
    // nothing and is retried: a few are tolerated, and counted by the full benchmark.
    expect(writer.acceptedPosts).toBe(expectedCalls);
    expect(writer.vanRequests - writer.throttled).toBe(expectedCalls);
    expect(writer.throttled).toBeLessThanOrEqual(Math.ceil(expectedCalls / 100));
    expect(writer.duplicates).toBe(0);
    // The writer's commands, recorded in a run of their own, were replayed alone, every one.
    expect(writer.writerMongoCommands).toBeGreaterThan(0);
    expect(writer.writerMongoCommandsFailedOnReplay).toBe(0);
  },
);

/** Runs a benchmark with its JSON in a temporary folder; fails with its output when it fails. */
async function benchReport<T>(script: string, args: string[]): Promise<T> {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'bench-smoke-')), 'report.json');
  const { code, output } = await runBench([...args, '--runs', '1', '--out', out], script);
  expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
  return JSON.parse(readFileSync(out, 'utf8')) as T;
}

test('the CSV export benchmark exports every row of each size', async () => {
  const report = await benchReport<{ sizes: { rows: number }[] }>('csv-export.mjs', ['--rows', '200,400']);
  // The benchmark itself fails unless the run completed with exactly this many rows in the file.
  expect(report.sizes.map((size) => size.rows)).toEqual([200, 400]);
});

test('the import benchmark imports every row of the export', async () => {
  const report = await benchReport<{ import: { rows: number; rowErrors: number } }>('import.mjs', [
    '--rows',
    '300',
  ]);
  expect(report.import).toMatchObject({ rows: 300, rowErrors: 0 });
});

test('the config load benchmark: no error and no VAN request from a warm cache', async () => {
  const report = await benchReport<{
    paths: Record<string, { requests: number; errors: number; vanRequests: number }>;
  }>('config-load.mjs', ['--rate', '20', '--duration', '2', '--connections', '4']);
  for (const name of ['validate', 'configure']) {
    expect(report.paths[name]!.requests).toBeGreaterThan(0);
    expect(report.paths[name]).toMatchObject({ errors: 0, vanRequests: 0 });
  }
});

test('the strategies benchmark: bulk ends every call as full does, for a dozen VAN requests', async () => {
  const report = await benchReport<{
    strategies: Record<
      string,
      {
        syncedToVan: number;
        vanRequests: number;
        canvassPosts: number;
        bulkJobs: number;
        sameStatusesAsFull?: boolean;
      }
    >;
  }>('strategies.mjs', ['--calls', '150', '--strategies', 'full,bulk', '--latency-ms', '10']);
  const { full, bulk } = report.strategies;
  expect(full!.syncedToVan).toBeGreaterThan(0);
  expect(full!.canvassPosts).toBeGreaterThanOrEqual(full!.syncedToVan);
  expect(bulk).toMatchObject({
    syncedToVan: full!.syncedToVan,
    canvassPosts: 0,
    bulkJobs: 1,
    sameStatusesAsFull: true,
  });
  expect(bulk!.vanRequests).toBeLessThanOrEqual(12);
}, 600_000);

test('the Kafka clients benchmark: each client produces, drains its backlog and reads the paced messages', async () => {
  const report = await benchReport<{
    node: string;
    clients: Record<string, { skipped?: string; consumePerSecond?: number; latencyP50Ms?: number }>;
  }>('kafka-clients.mjs', [
    '--messages',
    '200',
    '--batch',
    '50',
    '--paced',
    '40',
    '--paced-batch',
    '10',
    '--rate',
    '200',
  ]);
  // A consumer that never commits the whole backlog and the paced messages would end the benchmark
  // with an error (its client process times out), so numbers here mean every message was committed.
  for (const name of ['kafkajs', 'platformatic']) {
    expect(report.clients[name]!.skipped).toBeUndefined();
    expect(report.clients[name]!.consumePerSecond).toBeGreaterThan(0);
    expect(report.clients[name]!.latencyP50Ms).toEqual(expect.any(Number));
  }
});
