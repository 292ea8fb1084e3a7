import {
  dockerEngineAnswers,
  infraScript,
  localServersRunning,
  readLocalEnv,
  serversConfigured,
} from './servers';

declare global {
  // Set by global set-up, read by teardown (same process).
  var __callSyncTeardown: (() => Promise<void>) | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.CALL_SYNC_SKIP_INFRA === '1') return;
  if (serversConfigured()) return;

  if (dockerEngineAnswers()) {
    // Loaded only here: testcontainers is heavy and unused on machines without Docker.
    const { startContainers } = await import('./containers');
    const containers = await startContainers();
    Object.assign(process.env, containers.env);
    globalThis.__callSyncTeardown = containers.stop;
    return;
  }

  const alreadyRunning = localServersRunning();
  infraScript('up');
  Object.assign(process.env, readLocalEnv());
  // Servers we started for this run are stopped after it; ones a person started stay up.
  if (!alreadyRunning) {
    globalThis.__callSyncTeardown = async () => {
      infraScript('down');
    };
  }
}
