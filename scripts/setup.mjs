// First-use set-up shared by `npm test` and `npm run demo`: installs the locked dependencies when
// they are missing or stale, goes on under the project's node (project-node.mjs), then builds
// (incrementally, so a second run takes seconds).
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOnProjectNode } from './project-node.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function run(command, args, options = {}) {
  execFileSync(command, args, { cwd: root, stdio: 'inherit', ...options });
}

export function ensureDependencies() {
  const installed = path.join(root, 'node_modules', '.package-lock.json');
  const lock = path.join(root, 'package-lock.json');
  if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
    console.log('[setup] installing dependencies from package-lock.json');
    run('npm', ['ci', '--no-audit', '--no-fund']);
  }
}

export function build() {
  run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b']);
}

/** On an older node, the calling script goes on in a child on the project's node (project-node.mjs). */
export async function setup() {
  ensureDependencies();
  await runOnProjectNode();
  build();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await setup();
