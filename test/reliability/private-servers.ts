// A Kafka broker and a file-backed MongoDB-wire server of the fault suite's own, on their own
// ports and state folder, so that stopping them mid-run disturbs no other test. Started with the
// same scripts as the shared servers (scripts/infra), from the same cache.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../servers';
import { freePort } from '@call-sync/testkit';

export type PrivateServerKind = 'kafka' | 'mongo';

export interface PrivateServer {
  kind: PrivateServerKind;
  /** The variable that points the pipeline at it: KAFKA_BROKERS or MONGODB_URL. */
  variable: 'KAFKA_BROKERS' | 'MONGODB_URL';
  value: string;
  start(): void;
  /** SIGTERM, as an orchestrator stops it (the scripts escalate to SIGKILL after 10 s). */
  stop(): void;
  close(): void;
}

export async function startPrivateServer(kind: PrivateServerKind): Promise<PrivateServer> {
  const state = mkdtempSync(path.join(tmpdir(), `call-sync-faults-${kind}-`));
  const env: Record<string, string> = { ...(process.env as Record<string, string>), CALL_SYNC_STATE: state };
  let variable: PrivateServer['variable'];
  let value: string;
  if (kind === 'kafka') {
    const [broker, controller] = [await freePort(), await freePort()];
    Object.assign(env, { KAFKA_PORT: String(broker), KAFKA_CONTROLLER_PORT: String(controller) });
    variable = 'KAFKA_BROKERS';
    value = `127.0.0.1:${broker}`;
  } else {
    const port = await freePort();
    Object.assign(env, { MONGO_PORT: String(port), MONGO_BACKEND: 'h2', MONGO_HEAP: '1g' });
    variable = 'MONGODB_URL';
    value = `mongodb://127.0.0.1:${port}/callsync`;
  }
  const script = path.join(repoRoot, 'scripts/infra', `${kind}.sh`);
  const run = (command: 'start' | 'stop') =>
    execFileSync('bash', [script, command], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  run('start');
  return {
    kind,
    variable,
    value,
    start: () => run('start'),
    stop: () => run('stop'),
    close: () => {
      run('stop');
      rmSync(state, { recursive: true, force: true });
    },
  };
}
