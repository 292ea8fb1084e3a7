import { runMain, startServiceRuntime } from '@call-sync/platform';

// Wiring only: the service's behaviour lives in modules beside this file.
async function main(): Promise<void> {
  await startServiceRuntime({
    service: 'config',
    defaultPort: 8080,
  });
}

runMain('config', main);
