// The layers of the monorepo, kept by `npm run lint`: services sit on packages, core on nothing of
// ours, the sandbox only under tests, no cycles, and a workspace imports another only when its
// package.json says so. Paths are relative to the folder depcruise runs in, so the same
// rules run on the small trees of test/lint/dependency-rules.test.ts.
import fs from 'node:fs';
import path from 'node:path';

const root = process.cwd();
const readManifest = (dir) => JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8'));
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Each workspace folder by its package name; only `dir/*` globs are used in this repository. */
function workspaces() {
  const byName = new Map();
  for (const pattern of readManifest('.').workspaces ?? []) {
    const dirs = pattern.endsWith('/*')
      ? fs
          .readdirSync(path.join(root, pattern.slice(0, -2)), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => `${pattern.slice(0, -2)}/${entry.name}`)
      : [pattern];
    for (const dir of dirs)
      if (fs.existsSync(path.join(root, dir, 'package.json'))) byName.set(readManifest(dir).name, dir);
  }
  return byName;
}

/**
 * A workspace's source may import another workspace only when it is in `dependencies`; its tests
 * also when it is in `devDependencies`. (knip checks npm packages; it lets private workspaces
 * import each other undeclared, so these rules do it for ours.)
 */
function undeclaredWorkspaceRules() {
  const byName = workspaces();
  const rules = [];
  for (const [, dir] of byName) {
    const manifest = readManifest(dir);
    const production = new Set(Object.keys(manifest.dependencies ?? {}));
    const development = new Set([...production, ...Object.keys(manifest.devDependencies ?? {})]);
    const others = [...byName].filter(([, other]) => other !== dir);
    const notIn = (declared) =>
      others.filter(([name]) => !declared.has(name)).map(([, other]) => escape(other));
    const undeclared = notIn(development);
    const devOnly = notIn(production).filter((other) => !undeclared.includes(other));
    if (undeclared.length > 0)
      rules.push({
        name: 'undeclared-workspace-dependency',
        comment: `${dir} imports a workspace its package.json does not list`,
        severity: 'error',
        from: { path: `^${escape(dir)}/` },
        to: { path: `^(${undeclared.join('|')})/` },
      });
    if (devOnly.length > 0)
      rules.push({
        name: 'dev-workspace-dependency-in-source',
        comment: `${dir}/src imports a workspace its package.json lists only under devDependencies`,
        severity: 'error',
        from: { path: `^${escape(dir)}/src/` },
        to: { path: `^(${devOnly.join('|')})/` },
      });
  }
  return rules;
}

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'core-imports-nothing-of-ours',
      comment: 'packages/core is the pure domain: it imports no other workspace',
      severity: 'error',
      from: { path: '^packages/core/' },
      to: { path: '^(packages/(?!core/)[^/]+|services/[^/]+|sandbox|testkit)/' },
    },
    {
      name: 'packages-never-import-services',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^services/' },
    },
    {
      name: 'services-never-import-each-other',
      comment: 'services meet through Kafka, Mongo and S3, not through each other’s code',
      severity: 'error',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/[^/]+/', pathNot: '^services/$1/' },
    },
    {
      name: 'production-never-imports-sandbox',
      comment: 'the sandbox stands in for VAN, Airtable and Livevox in tests only',
      severity: 'error',
      from: { path: '^(packages|services)/[^/]+/src/' },
      to: { path: '^sandbox/' },
    },
    {
      name: 'production-never-imports-testkit',
      comment: 'the testkit is the harness of tests and benchmarks only',
      severity: 'error',
      from: { path: '^(packages|services)/[^/]+/src/' },
      to: { path: '^testkit/' },
    },
    {
      name: 'no-cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...undeclaredWorkspaceRules(),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|coverage)/' },
    // Type-only imports make cycles too: the cycles removed when this check came in were all `import type`.
    tsPreCompilationDeps: true,
    // Maps @call-sync/* to each workspace's src, as jest and the test type check do.
    tsConfig: { fileName: 'tsconfig.test.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js', '.cjs', '.json'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
