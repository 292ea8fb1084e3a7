// `npm run lint:deps` (part of `npm run lint`) on a small monorepo shaped like ours, in a temporary
// folder: clean, it passes; fed one violation, it fails and names it. The commands and the rule
// files are the repository's own, so a rule dropped from them fails here.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const repo = path.resolve(__dirname, '..', '..');
const rootManifest = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));
const lintDepsScript: string = rootManifest.scripts['lint:deps'];
const commands = lintDepsScript.split(' && ');

type Files = Record<string, string>;

/** The fixture's workspaces, by the name after `@call-sync/`. */
const WORKSPACES: Record<string, string> = {
  core: 'packages/core',
  platform: 'packages/platform',
  sandbox: 'sandbox',
  testkit: 'testkit',
  alpha: 'services/alpha',
  beta: 'services/beta',
};

const manifest = (name: string, dependencies: Files = {}, devDependencies: Files = {}) =>
  JSON.stringify({
    name,
    version: '0.1.0',
    private: true,
    main: 'dist/index.js',
    dependencies,
    devDependencies,
  });

/** Core, platform on core, the sandbox, the testkit on platform, and two services; every import declared. */
const cleanTree: Files = {
  'package.json': JSON.stringify({
    name: 'fixture',
    private: true,
    workspaces: ['packages/*', 'sandbox', 'testkit', 'services/*'],
  }),
  'tsconfig.test.json': JSON.stringify({
    compilerOptions: {
      baseUrl: '.',
      paths: {
        '@call-sync/core': ['packages/core/src'],
        '@call-sync/platform': ['packages/platform/src'],
        '@call-sync/sandbox': ['sandbox/src'],
        '@call-sync/testkit': ['testkit/src'],
        '@call-sync/alpha': ['services/alpha/src'],
        '@call-sync/beta': ['services/beta/src'],
      },
    },
  }),
  'packages/core/package.json': manifest('@call-sync/core'),
  'packages/core/src/index.ts': "export { windowStart } from './window';\n",
  'packages/core/src/window.ts': 'export const windowStart = (day: string): string => `${day}T00:00`;\n',
  'packages/platform/package.json': manifest('@call-sync/platform', { '@call-sync/core': '0.1.0' }),
  'packages/platform/src/index.ts':
    "import { windowStart } from '@call-sync/core';\nexport const today = windowStart('2026-11-26');\n",
  'sandbox/package.json': manifest('@call-sync/sandbox', { '@call-sync/core': '0.1.0' }),
  'sandbox/src/index.ts': "export { windowStart as fakeWindow } from '@call-sync/core';\n",
  'testkit/package.json': manifest('@call-sync/testkit', { '@call-sync/platform': '0.1.0' }),
  'testkit/src/index.ts':
    "import { today } from '@call-sync/platform';\nexport const freshDay = (): string => today;\n",
  'services/alpha/package.json': manifest(
    '@call-sync/alpha',
    { '@call-sync/platform': '0.1.0' },
    { '@call-sync/sandbox': '0.1.0', '@call-sync/testkit': '0.1.0' },
  ),
  'services/alpha/src/index.ts':
    "import { today } from '@call-sync/platform';\nexport const alpha = today;\n",
  'services/alpha/test/alpha.test.ts':
    "import { fakeWindow } from '@call-sync/sandbox';\nimport { freshDay } from '@call-sync/testkit';\n" +
    'export const fake = fakeWindow(freshDay());\n',
  'services/beta/package.json': manifest('@call-sync/beta', { '@call-sync/core': '0.1.0' }),
  'services/beta/src/index.ts':
    "import { windowStart } from '@call-sync/core';\nexport const beta = windowStart('y');\n",
  // Each workspace builds src/ into dist/, as ours do: knip maps `main` back to the source by it,
  // once built (CI builds before it lints; so must a fresh clone, or exports read as unused).
  ...Object.fromEntries(
    Object.values(WORKSPACES).map((dir) => [
      `${dir}/tsconfig.json`,
      JSON.stringify({ compilerOptions: { rootDir: 'src', outDir: 'dist' }, include: ['src'] }),
    ]),
  ),
  ...Object.fromEntries(Object.values(WORKSPACES).map((dir) => [`${dir}/dist/index.js`, ''])),
  // Folders the lint command names.
  'test/.keep': '',
  'bench/.keep': '',
  'scripts/.keep': '',
};

interface Outcome {
  status: number | null;
  output: string;
}

const [depcruise = '', knip = ''] = commands;

/**
 * Lays out the tree in a temporary folder, runs one lint:deps command there, and removes it.
 * Output is read with its line breaks folded, as depcruise wraps long paths.
 */
function runInTree(changes: Files, command: string): Outcome {
  const dir = mkdtempSync(path.join(tmpdir(), 'call-sync-lint-'));
  try {
    for (const [file, text] of Object.entries({ ...cleanTree, ...changes })) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    // As `npm install` links the workspaces: knip follows these links to see who imports an export.
    mkdirSync(path.join(dir, 'node_modules', '@call-sync'), { recursive: true });
    for (const [name, folder] of Object.entries(WORKSPACES))
      symlinkSync(path.join(dir, folder), path.join(dir, 'node_modules', '@call-sync', name));
    for (const config of ['.dependency-cruiser.mjs', 'knip.jsonc'])
      copyFileSync(path.join(repo, config), path.join(dir, config));
    const env = {
      ...process.env,
      PATH: `${path.join(repo, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH}`,
    };
    const run = spawnSync('sh', ['-c', command], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    return { status: run.status, output: `${run.stdout}${run.stderr}`.replace(/\s+/g, ' ') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the lint command is dependency-cruiser, then knip', () => {
  expect(commands).toHaveLength(2);
  expect(depcruise).toMatch(/^depcruise --config \.dependency-cruiser\.mjs /);
  expect(knip).toMatch(/^knip /);
});

test('a tree that keeps the rules passes both tools', () => {
  expect(runInTree({}, depcruise).status).toBe(0);
  expect(runInTree({}, knip).status).toBe(0);
});

const violations: { violation: string; changes: Files; reported: string }[] = [
  {
    violation: 'a cycle (through a type-only import)',
    changes: {
      'packages/core/src/window.ts':
        "import type { Day } from './day';\nexport const windowStart = (day: Day): string => `${day}T00:00`;\n",
      'packages/core/src/day.ts':
        "import { windowStart } from './window';\nexport type Day = string;\nexport const first = windowStart('1');\n",
    },
    reported: 'error no-cycles: packages/core/src/day.ts → packages/core/src/window.ts',
  },
  {
    violation: 'core importing platform',
    changes: {
      'packages/core/src/index.ts':
        "export { windowStart } from './window';\nexport { today } from '@call-sync/platform';\n",
    },
    reported:
      'error core-imports-nothing-of-ours: packages/core/src/index.ts → packages/platform/src/index.ts',
  },
  {
    violation: 'a service importing another service',
    changes: {
      'services/alpha/src/index.ts':
        "import { beta } from '../../beta/src/index';\nexport const alpha = beta;\n",
    },
    reported:
      'error services-never-import-each-other: services/alpha/src/index.ts → services/beta/src/index.ts',
  },
  {
    violation: 'production code importing the sandbox',
    changes: {
      'services/alpha/src/index.ts':
        "import { fakeWindow } from '@call-sync/sandbox';\nexport const alpha = fakeWindow('z');\n",
    },
    reported: 'error production-never-imports-sandbox: services/alpha/src/index.ts → sandbox/src/index.ts',
  },
  {
    violation: 'production code importing the testkit',
    changes: {
      'services/alpha/src/index.ts':
        "import { freshDay } from '@call-sync/testkit';\nexport const alpha = freshDay();\n",
    },
    reported: 'error production-never-imports-testkit: services/alpha/src/index.ts → testkit/src/index.ts',
  },
  {
    violation: 'a test importing a workspace its package.json does not list',
    changes: {
      'services/beta/test/beta.test.ts':
        "import { fakeWindow } from '@call-sync/sandbox';\nexport const fake = fakeWindow('b');\n",
    },
    reported: 'error undeclared-workspace-dependency: services/beta/test/beta.test.ts → sandbox/src/index.ts',
  },
];

test.each(violations)('dependency-cruiser fails on $violation', ({ changes, reported }) => {
  const cruise = runInTree(changes, depcruise);
  expect(cruise.status).not.toBe(0);
  expect(cruise.output).toContain(reported);
});

test('knip fails on an undeclared npm dependency', () => {
  const outcome = runInTree(
    { 'services/beta/src/index.ts': "import pad from 'left-pad';\nexport const beta = pad('y', 3);\n" },
    knip,
  );
  expect(outcome.status).not.toBe(0);
  expect(outcome.output).toMatch(/Unlisted dependencies \(1\) left-pad services\/beta\/src\/index\.ts/);
});

const unusedExports: { place: string; changes: Files; reported: RegExp }[] = [
  {
    place: "a package's entry (our packages have no readers outside this repository)",
    changes: {
      'packages/platform/src/index.ts':
        "import { windowStart } from '@call-sync/core';\nexport const today = windowStart('2026-11-26');\nexport const yesterday = windowStart('2026-11-25');\n",
    },
    reported: /Unused exports \(1\) yesterday packages\/platform\/src\/index\.ts/,
  },
  {
    place: "a service's module",
    changes: {
      'services/beta/src/index.ts':
        "import { windowStart } from '@call-sync/core';\nimport { label } from './label';\nexport const beta = windowStart(label);\n",
      'services/beta/src/label.ts': "export const label = 'y';\nexport const unusedLabel = 'z';\n",
    },
    reported: /Unused exports \(1\) unusedLabel services\/beta\/src\/label\.ts/,
  },
];

test.each(unusedExports)('knip fails on an export nothing imports, in $place', ({ changes, reported }) => {
  const outcome = runInTree(changes, knip);
  expect(outcome.status).not.toBe(0);
  expect(outcome.output).toMatch(reported);
});

test('knip fails on a dependency nothing imports', () => {
  const outcome = runInTree(
    {
      'services/beta/package.json': manifest('@call-sync/beta', { '@call-sync/core': '0.1.0', zod: '4.0.0' }),
    },
    knip,
  );
  expect(outcome.status).not.toBe(0);
  expect(outcome.output).toMatch(/Unused dependencies \(1\) zod services\/beta\/package\.json/);
});
