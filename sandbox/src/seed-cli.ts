import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateSeed } from './seed';

// node sandbox/dist/seed-cli.js --out sandbox/fixtures/demo.json [--candidates 3] [--calls 40]
//   [--seed 1] [--day 2026-10-20] [--misconfigured]
const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    candidates: { type: 'string', default: '3' },
    calls: { type: 'string', default: '40' },
    seed: { type: 'string', default: '1' },
    day: { type: 'string' },
    misconfigured: { type: 'boolean', default: false },
  },
});

const candidates = Number(values.candidates);
const callsPerCandidate = Number(values.calls);
const seed = Number(values.seed);
if (!values.out || ![candidates, callsPerCandidate, seed].every(Number.isInteger)) {
  console.error(
    'usage: seed-cli --out <file.json> [--candidates N] [--calls M] [--seed S] [--day YYYY-MM-DD] [--misconfigured]',
  );
  process.exit(2);
}
if (values.day !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values.day)) {
  console.error('--day must be YYYY-MM-DD');
  process.exit(2);
}

const fixture = generateSeed({
  candidates,
  callsPerCandidate,
  seed,
  day: values.day,
  misconfiguredRow: values.misconfigured,
});
fs.mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
fs.writeFileSync(values.out, `${JSON.stringify(fixture, null, 2)}\n`);
process.stdout.write(
  `wrote ${values.out}: ${fixture.meta.candidates.length} candidates, ${fixture.livevox.calls.length} calls\n`,
);
