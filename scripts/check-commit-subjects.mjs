// Every commit since the rule began has a subject of at most 72 characters saying what changed;
// the why and the figures go in the body. Run by CI on the clone's history:
//   node scripts/check-commit-subjects.mjs [since-commit]
import { execFileSync } from 'node:child_process';

/** The last commit before the rule: older subjects are history and stay as they are. */
const RULE_STARTS_AFTER = '37ac875e3fe0fc4113b878206161124a4191f540';
const MAX = 72;

const git = (...args) => execFileSync('git', args, { encoding: 'utf8' });

const since = process.argv[2] ?? RULE_STARTS_AFTER;
let range = `${since}..HEAD`;
try {
  git('cat-file', '-e', `${since}^{commit}`);
} catch {
  // A shallow clone holds only the newest commits, all of them after the rule: check those.
  if (git('rev-parse', '--is-shallow-repository').trim() !== 'true') {
    console.error(`commit subjects: ${since} is not in this repository's history`);
    process.exit(1);
  }
  console.log(`commit subjects: a shallow clone without ${since.slice(0, 7)}; checking the commits it holds`);
  range = 'HEAD';
}
const problems = [];
for (const line of git('log', '--format=%h%x09%s', range).split('\n')) {
  if (line === '') continue;
  const [hash, subject = ''] = line.split('\t');
  if (subject.length > MAX) problems.push(`${hash} (${subject.length} characters): ${subject}`);
  if (subject.trim() === '') problems.push(`${hash}: empty subject`);
}
if (problems.length > 0) {
  console.error(`commit subjects over ${MAX} characters (say what changed; the why goes in the body):`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log(`commit subjects: every one since ${since.slice(0, 7)} is at most ${MAX} characters`);
