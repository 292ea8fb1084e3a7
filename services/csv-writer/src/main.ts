import { runMain, startServiceRuntime } from '@call-sync/platform';

// Wiring only: the service's behaviour lives in modules beside this file.
async function main(): Promise<void> {
  await startServiceRuntime({
    service: 'csv-writer',
    defaultPort: 8083,
    needsS3: true,
  });
}

runMain('csv-writer', main);
