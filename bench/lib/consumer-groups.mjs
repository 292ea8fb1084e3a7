// A bench world's consumer groups start at the end of the shared topics: the local Kafka keeps
// every earlier run's messages (tests, demos, other benches), and a new group reading them from
// the beginning spends its first seconds on other worlds' calls before it reaches this one's.

import { Kafka, logLevel } from 'kafkajs';

/** Topics each group of a bench world consumes (the services' group ids, from KAFKA_CONSUMER_GROUP). */
const consumed = (group) => [
  [group, ['callsync.van-sync', 'callsync.csv-export', 'callsync.run-events']],
  [`${group}-bulk`, ['callsync.van-bulk-import']],
];

/** Commits, for each of the world's groups, the current end of every topic it consumes. */
export async function startGroupsAtTopicEnds(brokers, group) {
  const kafka = new Kafka({ clientId: 'bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    for (const [groupId, topics] of consumed(group)) {
      for (const topic of topics.filter((t) => existing.has(t))) {
        const ends = await admin.fetchTopicOffsets(topic);
        await admin.setOffsets({
          groupId,
          topic,
          partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
        });
      }
    }
  } finally {
    await admin.disconnect();
  }
}
