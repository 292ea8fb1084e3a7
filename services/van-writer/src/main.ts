import { VanSyncMessage } from '@call-sync/core';
import {
  createPublisher,
  registerConsumerLag,
  runMain,
  startConsumer,
  startServiceRuntime,
  Topics,
} from '@call-sync/platform';
import { pipelineMetricsFor } from '@call-sync/store';
import { createCandidateVanAccess } from './candidate-van-access';
import { postCanvassResponses } from './post-canvass-responses';
import { loadVanWriterSettings } from './settings';

// Wiring only: consume callsync.van-sync, post each message's calls (post-canvass-responses.ts).
async function main(): Promise<void> {
  const settings = loadVanWriterSettings();
  const runtime = await startServiceRuntime({ service: 'van-writer', defaultPort: 8082 });
  const { db, logger, registry, kafka } = runtime;
  pipelineMetricsFor(registry);
  const groupId = settings.KAFKA_CONSUMER_GROUP ?? 'callsync-van-writer';
  const publisher = await createPublisher(kafka);
  const vanAccessFor = createCandidateVanAccess(db, logger, settings, registry);
  const consumer = await startConsumer({
    kafka,
    groupId,
    topic: Topics.VanSync,
    schema: VanSyncMessage,
    logger,
    publisher,
    // Messages are keyed by candidate: partitions in parallel means candidates in parallel,
    // while one candidate's messages (one key, one budget) stay in order.
    partitionsConsumedConcurrently: 3,
    handle: async (message, meta) => {
      await postCanvassResponses(
        { db, publisher, logger, registry, concurrency: settings.VAN_WRITER_CONCURRENCY, vanAccessFor },
        message,
        meta.headers as Record<string, unknown>,
      );
    },
  });
  const stopLag = registerConsumerLag(kafka, registry, groupId, Topics.VanSync);
  runtime.onShutdown({ name: 'publisher', run: () => publisher.disconnect() });
  runtime.onShutdown({ name: 'consumer lag', run: stopLag });
  runtime.onShutdown({ name: 'van-sync consumer', run: () => consumer.stop() });
}

runMain('van-writer', main);
