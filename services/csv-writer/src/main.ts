import { CsvExportMessage } from '@call-sync/core';
import {
  createPublisher,
  registerConsumerLag,
  runMain,
  startConsumer,
  startServiceRuntime,
  Topics,
} from '@call-sync/platform';
import { pipelineMetricsFor } from '@call-sync/store';
import { exportRunToCsv } from './export-run-to-csv';
import { loadCsvWriterSettings } from './settings';

// Wiring only: consume callsync.csv-export, export each job (export-run-to-csv.ts).
async function main(): Promise<void> {
  const settings = loadCsvWriterSettings();
  const runtime = await startServiceRuntime({ service: 'csv-writer', defaultPort: 8083, needsS3: true });
  const { db, logger, registry, kafka, s3 } = runtime;
  if (!s3) throw new Error('S3 is not configured');
  pipelineMetricsFor(registry);
  const groupId = settings.KAFKA_CONSUMER_GROUP ?? 'callsync-csv-writer';
  const publisher = await createPublisher(kafka);
  const consumer = await startConsumer({
    kafka,
    groupId,
    topic: Topics.CsvExport,
    schema: CsvExportMessage,
    logger,
    publisher,
    partitionsConsumedConcurrently: 3,
    // An export of a big night takes a while; the consumer heartbeats while it runs.
    sessionTimeout: 30_000,
    handle: async (message) => {
      await exportRunToCsv(
        { db, publisher, logger, registry, s3, callerDirectoryUrl: settings.CALLER_DIRECTORY_URL },
        message,
      );
    },
  });
  const stopLag = registerConsumerLag(kafka, registry, groupId, Topics.CsvExport);
  runtime.onShutdown({ name: 'publisher', run: () => publisher.disconnect() });
  runtime.onShutdown({ name: 'consumer lag', run: stopLag });
  runtime.onShutdown({ name: 'csv-export consumer', run: () => consumer.stop() });
}

runMain('csv-writer', main);
