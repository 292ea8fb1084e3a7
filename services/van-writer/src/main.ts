import { runMain, startServiceRuntime } from '@call-sync/platform';

// Wiring only: the service's behaviour lives in modules beside this file.
async function main(): Promise<void> {
  await startServiceRuntime({
    service: 'van-writer',
    defaultPort: 8082,
  });
}

runMain('van-writer', main);
