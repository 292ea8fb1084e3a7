// Test and benchmark harness, never shipped: a fresh consumer group on a shared broker starts at
// the topics' ends, so a test's or a benchmark's world reads only its own messages.

import type { Admin, Kafka } from 'kafkajs';
import { bulkImportGroupId, Topics, type TopicName } from '@call-sync/platform';

/**
 * Commits the current end of each topic for a consumer group that has not consumed yet, so it
 * reads only what is published from now on (a new group otherwise starts at the beginning).
 * For a group given a fresh start on a shared broker: benchmarks and tests beside earlier runs.
 *
 * kafkajs's `admin.setOffsets` does this one topic at a time, each by joining the group and then
 * waiting out an empty fetch (5 s): 20 s for a service's four topics. This joins once for every
 * topic and fetches with a short wait; the offsets are read back, and any topic whose commit did not
 * take is set the slow way.
 */
export async function startGroupAtTopicEnds(
  kafka: Kafka,
  groupId: string,
  topics: TopicName[],
): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const ends = await Promise.all(
      topics
        .filter((topic) => existing.has(topic))
        .map(async (topic) => ({
          topic,
          partitions: (await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => ({
            partition,
            offset: high,
          })),
        })),
    );
    if (ends.length === 0) return;
    await commitOffsetsOnce(kafka, groupId, ends);
    const committed = await admin.fetchOffsets({ groupId, topics: ends.map((e) => e.topic) });
    for (const { topic, partitions } of ends) {
      const got = committed.find((c) => c.topic === topic)?.partitions ?? [];
      const taken = partitions.every(
        (p) => got.find((g) => g.partition === p.partition)?.offset === p.offset,
      );
      if (!taken) await admin.setOffsets({ groupId, topic, partitions });
    }
  } finally {
    await admin.disconnect();
  }
}

/** Joins `groupId` once, seeks every partition to its offset (committed on the seek), and leaves. */
async function commitOffsetsOnce(
  kafka: Kafka,
  groupId: string,
  offsets: { topic: string; partitions: { partition: number; offset: string }[] }[],
): Promise<void> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: offsets.map((o) => o.topic), fromBeginning: true });
    const { state } = await consumer.describeGroup();
    if (state !== 'Empty' && state !== 'Dead') {
      throw new Error(`consumer group ${groupId} has running members (${state}): its offsets cannot be set`);
    }
    await new Promise<void>((resolve, reject) => {
      // Seeks are committed before the first fetch; the fetch's end means they are done.
      const off = consumer.on(consumer.events.FETCH, () => {
        off();
        resolve();
      });
      consumer.run({ eachBatchAutoResolve: false, eachBatch: async () => undefined }).catch(reject);
      consumer.pause(offsets.map(({ topic }) => ({ topic })));
      for (const { topic, partitions } of offsets) {
        for (const { partition, offset } of partitions) consumer.seek({ topic, partition, offset });
      }
    });
  } finally {
    await consumer.disconnect();
  }
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
