import { VanSyncMessage } from '@call-sync/core';
import { runMain, startServiceRuntime, startTopicWorker, topicPartitions, Topics } from '@call-sync/platform';
import { pipelineMetricsFor } from '@call-sync/store';
import { startBulkImportWorker } from './bulk-import-worker';
import { createCandidateVanAccess } from './candidate-van-access';
import { postCanvassResponses, roomForMessage } from './post-canvass-responses';
import { loadVanWriterSettings } from './settings';

/** Messages of one candidate in progress at once, at most; the window's room is the real gate. */
const MESSAGES_PER_CANDIDATE = 64;

// Wiring only: consume callsync.van-sync, post each message's calls (post-canvass-responses.ts).
async function main(): Promise<void> {
  const settings = loadVanWriterSettings();
  const runtime = await startServiceRuntime({ service: 'van-writer', defaultPort: 8082 });
  const { db, logger, registry } = runtime;
  pipelineMetricsFor(registry);
  const vanAccessFor = createCandidateVanAccess(db, logger, settings, registry);
  // Read the configuration now, not on the first message (Airtable took seconds before a post).
  vanAccessFor('').catch((error: unknown) =>
    logger.warn({ err: (error as Error).message }, 'configuration not loaded yet; the first message retries'),
  );
  // Registered before the consumers, so it runs after they stopped (the latest runs first).
  runtime.onShutdown({ name: 'unspent VAN budget', run: () => vanAccessFor.releaseBudgets() });
  const deps = {
    db,
    logger,
    registry,
    concurrency: settings.VAN_WRITER_CONCURRENCY,
    vanAccessFor,
  };
  await startTopicWorker(runtime, {
    topic: Topics.VanSync,
    schema: VanSyncMessage,
    groupId: settings.KAFKA_CONSUMER_GROUP ?? 'callsync-van-writer',
    // Messages are keyed by candidate: every assigned partition at once means every candidate
    // at once; one candidate's messages start in order, as its posting window has room.
    partitionsConsumedConcurrently:
      settings.VAN_WRITER_PARTITIONS_AT_ONCE ??
      settings.KAFKA_TOPIC_PARTITIONS ??
      topicPartitions[Topics.VanSync],
    concurrentMessages: {
      perKey: MESSAGES_PER_CANDIDATE,
      admit: (message) => roomForMessage(message.candidate),
    },
    handle: (message, _meta, publisher) =>
      postCanvassResponses({ ...deps, publisher }, message).then(() => undefined),
  });
  // `bulk` runs: VAN Bulk Import jobs, on their own topic (bulk-import.ts).
  await startBulkImportWorker(runtime, vanAccessFor);
}

runMain('van-writer', main);
