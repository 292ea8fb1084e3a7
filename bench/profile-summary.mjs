// Summarises V8 CPU profiles (.cpuprofile, written by a service started with
// BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"): the functions with the most self time, and
// the same grouped by package, so a benchmark's figure can be traced to the code that spends it.
//   node bench/profile-summary.mjs DIR-or-FILE... [--top 30]

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

function profilesIn(target) {
  if (!statSync(target).isDirectory()) return [target];
  return readdirSync(target)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => path.join(target, name));
}

/** Where a script belongs: a workspace, a dependency, or node itself. */
function packageOf(url) {
  if (!url) return '(vm)';
  if (url.startsWith('node:')) return 'node';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1];
  const workspace = /\/(services|packages)\/([^/]+)\//.exec(url);
  return workspace ? `${workspace[1]}/${workspace[2]}` : url;
}

function summarise(file, top) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map();
  for (let i = 0; i < profile.samples.length; i += 1) {
    const id = profile.samples[i];
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byFunction = new Map();
  const byPackage = new Map();
  let total = 0;
  for (const [id, micros] of selfMicros) {
    const { callFrame } = byId.get(id);
    const where = callFrame.url
      ? `${callFrame.url.replace(/^file:\/\//, '').replace(/^.*?\/(node_modules|services|packages)\//, '$1/')}:${callFrame.lineNumber + 1}`
      : '';
    const name = `${callFrame.functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    const pkg =
      packageOf(callFrame.url) === '(vm)' ? callFrame.functionName || '(vm)' : packageOf(callFrame.url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
    total += micros;
  }
  const rows = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([name, micros]) =>
          `${(micros / 1000).toFixed(0).padStart(8)} ms ${((100 * micros) / total).toFixed(1).padStart(5)} %  ${name}`,
      )
      .join('\n');
  console.log(
    `# ${file}: ${(total / 1000).toFixed(0)} ms sampled\n## by package\n${rows(byPackage)}\n## by function (self time)\n${rows(byFunction)}\n`,
  );
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 30;
if (args.length === 0) {
  console.error('usage: node bench/profile-summary.mjs DIR-or-FILE... [--top 30]');
  process.exit(2);
}
for (const target of args) for (const file of profilesIn(target)) summarise(file, top);
