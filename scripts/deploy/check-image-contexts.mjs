// Proves from the Dockerfile, without a Docker engine, that each image carries only its own
// component: for every service (and the sandbox) a target of that name exists, and the files that
// target copies from the build context — through the stages it is built from — are exactly the
// root manifests, the build script, the component's folder and the workspaces its package.json
// imports (transitively). It also checks that each image runs as a non-root user under tini.
//   node scripts/deploy/check-image-contexts.mjs [Dockerfile]
import fs from 'node:fs';
import path from 'node:path';

const ROOT_FILES = [
  'package.json',
  'package-lock.json',
  'tsconfig.base.json',
  'scripts/deploy/build-workspace.sh',
];
const dockerfile = process.argv[2] ?? 'Dockerfile';

/** Workspace folder by package name, and each workspace's imports of other workspaces. */
function readWorkspaces() {
  const root = JSON.parse(fs.readFileSync('package.json', 'utf8'));
  const byName = new Map();
  for (const dir of root.workspaces) {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    byName.set(manifest.name, { dir, deps: Object.keys(manifest.dependencies ?? {}) });
  }
  return byName;
}

function importedFolders(byName, dir) {
  const start = [...byName.values()].find((w) => w.dir === dir);
  const seen = new Set([dir]);
  const queue = [...start.deps];
  while (queue.length > 0) {
    const ws = byName.get(queue.shift());
    if (!ws || seen.has(ws.dir)) continue;
    seen.add(ws.dir);
    queue.push(...ws.deps);
  }
  return seen;
}

/** Stages in order: name, base, context sources of COPY, --from stages, USER, ENTRYPOINT, RUN. */
function parseDockerfile(text) {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages = [];
  let current;
  for (const line of lines) {
    const [instruction, ...rest] = line.split(/\s+/);
    const op = instruction.toUpperCase();
    if (op === 'FROM') {
      const asIndex = rest.findIndex((w) => w.toUpperCase() === 'AS');
      current = {
        name: asIndex >= 0 ? rest[asIndex + 1] : `#${stages.length}`,
        base: rest.filter((w) => !w.startsWith('--'))[0],
        sources: [],
        from: [],
        runs: [],
      };
      stages.push(current);
    } else if (!current) {
      continue;
    } else if (op === 'COPY' || op === 'ADD') {
      const flags = rest.filter((w) => w.startsWith('--'));
      const args = rest.filter((w) => !w.startsWith('--'));
      const fromFlag = flags.find((f) => f.startsWith('--from='));
      if (op === 'ADD') throw new Error(`${line}: use COPY (ADD fetches URLs and unpacks archives)`);
      if (fromFlag) current.from.push(fromFlag.slice('--from='.length));
      else current.sources.push(...args.slice(0, -1).map((s) => s.replace(/^\.\//, '').replace(/\/+$/, '')));
    } else if (op === 'USER') {
      current.user = rest[0];
    } else if (op === 'ENTRYPOINT') {
      current.entrypoint = JSON.parse(rest.join(' '));
    } else if (op === 'RUN') {
      current.runs.push(rest.join(' '));
    }
  }
  return stages;
}

function lineage(stages, name, seen = new Set()) {
  const stage = stages.find((s) => s.name === name);
  if (!stage || seen.has(name)) return [];
  seen.add(name);
  return [
    stage,
    ...lineage(stages, stage.base, seen),
    ...stage.from.flatMap((f) => lineage(stages, f, seen)),
  ];
}

const byName = readWorkspaces();
const stages = parseDockerfile(fs.readFileSync(dockerfile, 'utf8'));
const components = [...byName.values()]
  .map((w) => w.dir)
  .filter((d) => d.startsWith('services/') || d === 'sandbox');
const problems = [];
for (const dir of components) {
  const target = path.basename(dir);
  const chain = lineage(stages, target);
  if (chain.length === 0) {
    problems.push(`${target}: no target "${target}" in ${dockerfile}`);
    continue;
  }
  const copied = new Set(chain.flatMap((s) => s.sources));
  const expected = new Set([...ROOT_FILES, ...importedFolders(byName, dir)]);
  const extra = [...copied].filter((s) => !expected.has(s));
  const missing = [...expected].filter((s) => !copied.has(s));
  if (extra.length > 0) problems.push(`${target}: copies ${extra.join(', ')}, which ${dir} does not import`);
  if (missing.length > 0) problems.push(`${target}: does not copy ${missing.join(', ')}, which it needs`);
  if (!chain.some((s) => s.runs.some((r) => r === `build-workspace ${dir}`)))
    problems.push(`${target}: no "RUN build-workspace ${dir}" (production dependencies only)`);
  const user = chain.find((s) => s.user)?.user;
  if (!user || /^(0|root)(:|$)/.test(user) || !/^\d+(:\d+)?$/.test(user))
    problems.push(
      `${target}: runs as "${user ?? 'root'}"; a numeric non-root USER lets runAsNonRoot verify it`,
    );
  const entrypoint = chain[0].entrypoint ?? [];
  if (entrypoint[0] !== '/usr/bin/tini' || !entrypoint.includes(`${dir}/dist/main.js`))
    problems.push(
      `${target}: ENTRYPOINT must be tini running ${dir}/dist/main.js, is ${JSON.stringify(entrypoint)}`,
    );
  if (problems.length === 0 || !problems.some((p) => p.startsWith(`${target}:`)))
    console.log(`${target}: ${[...copied].sort().join(' ')}`);
}
for (const problem of problems) console.error(`IMAGE ${problem}`);
process.exit(problems.length > 0 ? 1 : 0);
