import { runMain, startServiceRuntime } from '@call-sync/platform';

// Wiring only: the service's behaviour lives in modules beside this file.
async function main(): Promise<void> {
  await startServiceRuntime({
    service: 'extractor',
    defaultPort: 8081,
  });
}

runMain('extractor', main);
