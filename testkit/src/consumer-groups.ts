// Test and benchmark harness, never shipped: a fresh consumer group on a shared broker starts at
// the topics' ends, so a test's or a benchmark's world reads only its own messages.

import {
  bulkImportGroupId,
  topicOffsets,
  Topics,
  withAdmin,
  type Kafka,
  type TopicName,
} from '@call-sync/platform';

/**
 * Commits the current end of each topic for a consumer group that has not consumed yet, so it
 * reads only what is published from now on (a new group otherwise starts at the beginning).
 * For a group given a fresh start on a shared broker: benchmarks and tests beside earlier runs.
 * The broker refuses it for a group with running members.
 */
export async function startGroupAtTopicEnds(
  kafka: Kafka,
  groupId: string,
  topics: TopicName[],
): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const ends = await Promise.all(
      topics
        .filter((topic) => existing.has(topic))
        .map(async (name) => ({
          name,
          partitionOffsets: (await topicOffsets(admin, name)).map(({ partition, high }) => ({
            partition,
            offset: high,
          })),
        })),
    );
    if (ends.length > 0) await admin.alterConsumerGroupOffsets({ groupId, topics: ends });
  });
}

/**
 * Starts every group that services given `KAFKA_CONSUMER_GROUP=group` join at the current end of
 * the topics they read, so a fresh world on a shared broker (a test, a benchmark) reads only its
 * own messages rather than every earlier run's backlog first.
 */
export async function startServiceGroupsAtTopicEnds(kafka: Kafka, group: string): Promise<void> {
  await startGroupAtTopicEnds(kafka, group, [Topics.VanSync, Topics.CsvExport, Topics.RunEvents]);
  await startGroupAtTopicEnds(kafka, bulkImportGroupId(group), [Topics.VanBulkImport]);
}
