// The benchmark's smoke run: `bench/van-sync.mjs` at a small size, with the built services, must
// sync every call exactly once with one VAN request each. Correctness only: no figure of time is
// asserted (the machine is shared). Build first: `npx tsc -b`.

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
  requestsPerCall: number;
  duplicates: number;
}

function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bench/van-sync.mjs'), ...args], {
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
])('the %s-bound VAN sync benchmark syncs every call once, one request each', async (regime, sizes) => {
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
  expect(writer.vanRequests).toBe(expectedCalls);
  expect(writer.requestsPerCall).toBe(1);
  expect(writer.duplicates).toBe(0);
});
