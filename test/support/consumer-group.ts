import type { Kafka } from 'kafkajs';
import type { TopicName } from '@call-sync/platform';

/**
 * Commits the topic's current end for a new group, so its consumer reads only what is published
 * from now on: the local broker keeps every earlier test's messages, and a new group reading them
 * from the beginning is busy with those first.
 */
export async function startGroupAtTopicEnd(kafka: Kafka, groupId: string, topic: TopicName): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({
      groupId,
      topic,
      partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
    });
  } finally {
    await admin.disconnect();
  }
}
