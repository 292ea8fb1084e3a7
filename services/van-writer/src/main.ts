import { VanSyncMessage } from '@call-sync/core';
import { runMain, startServiceRuntime, startTopicWorker, Topics } from '@call-sync/platform';
import { pipelineMetricsFor } from '@call-sync/store';
import { createCandidateVanAccess } from './candidate-van-access';
import { postCanvassResponses } from './post-canvass-responses';
import { loadVanWriterSettings } from './settings';

// Wiring only: consume callsync.van-sync, post each message's calls (post-canvass-responses.ts).
async function main(): Promise<void> {
  const settings = loadVanWriterSettings();
  const runtime = await startServiceRuntime({ service: 'van-writer', defaultPort: 8082 });
  const { db, logger, registry } = runtime;
  pipelineMetricsFor(registry);
  const vanAccessFor = createCandidateVanAccess(db, logger, settings, registry);
  await startTopicWorker(runtime, {
    topic: Topics.VanSync,
    schema: VanSyncMessage,
    groupId: settings.KAFKA_CONSUMER_GROUP ?? 'callsync-van-writer',
    // Messages are keyed by candidate: partitions in parallel means candidates in parallel,
    // while one candidate's messages (one key, one budget) stay in order.
    partitionsConsumedConcurrently: 3,
    handle: (message, meta, publisher) =>
      postCanvassResponses(
        { db, publisher, logger, registry, concurrency: settings.VAN_WRITER_CONCURRENCY, vanAccessFor },
        message,
        meta.headers as Record<string, unknown>,
      ).then(() => undefined),
  });
}

runMain('van-writer', main);
