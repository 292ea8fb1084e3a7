import { CsvExportMessage } from '@call-sync/core';
import { runMain, startServiceRuntime, startTopicWorker, Topics } from '@call-sync/platform';
import { pipelineMetricsFor } from '@call-sync/store';
import { exportRunToCsv } from './export-run-to-csv';
import { loadCsvWriterSettings } from './settings';

// Wiring only: consume callsync.csv-export, export each job (export-run-to-csv.ts).
async function main(): Promise<void> {
  const settings = loadCsvWriterSettings();
  const runtime = await startServiceRuntime({ service: 'csv-writer', defaultPort: 8083, needsS3: true });
  const { db, logger, registry, s3 } = runtime;
  if (!s3) throw new Error('S3 is not configured');
  pipelineMetricsFor(registry);
  await startTopicWorker(runtime, {
    topic: Topics.CsvExport,
    schema: CsvExportMessage,
    groupId: settings.KAFKA_CONSUMER_GROUP ?? 'callsync-csv-writer',
    partitionsConsumedConcurrently: 3,
    // An export of a big night takes a while; the consumer heartbeats while it runs.
    sessionTimeout: 30_000,
    handle: (message, _meta, publisher) =>
      exportRunToCsv(
        { db, publisher, logger, registry, s3, callerDirectoryUrl: settings.CALLER_DIRECTORY_URL },
        message,
      ).then(() => undefined),
  });
}

runMain('csv-writer', main);
