import { Registry } from 'prom-client';
import {
  createKafka,
  createLogger,
  createPublisher,
  ensureTopics,
  registerConsumerLag,
  withAdmin,
  type Kafka,
  type Publisher,
  type TopicName,
} from '@call-sync/platform';
import { z } from 'zod';
import { serverEnv, uniqueName } from '../../../test/support/env';

// Dead letters waiting for a person are the lag of a group nobody consumes in: an operator moves
// its offsets past the letters they have dealt with. Measured on a topic of this test's own, so
// other suites' letters on the shared broker cannot move the numbers.

const logger = createLogger('dead-letter-lag-test', 'silent');
let kafka: Kafka;
let publisher: Publisher;

beforeAll(async () => {
  kafka = createKafka(uniqueName('dead-letter-lag'), serverEnv().kafkaBrokers, logger).kafka;
  publisher = await createPublisher(kafka);
});

afterAll(async () => {
  await publisher.disconnect();
});

async function lagOf(registry: Registry, topic: string): Promise<number | undefined> {
  const metric = registry.getSingleMetric('callsync_consumer_lag');
  const values = (await metric?.get())?.values ?? [];
  return values.find((v) => v.labels.topic === topic)?.value;
}

test('letters no one has marked dealt with are waiting; moving the group past them clears them', async () => {
  const topic = uniqueName('letters') as TopicName;
  await ensureTopics(kafka, [topic], { partitions: 1, replicationFactor: 1, minInsyncReplicas: 1 });
  const letters = ['a', 'b', 'c'].map((key) => ({ key, value: { v: 1 as const } }));
  await publisher.publish(topic, z.object({ v: z.literal(1) }), letters);

  const registry = new Registry();
  const group = uniqueName('reviewed');
  const stop = registerConsumerLag(kafka, registry, group, topic);
  const reviewed = (offset: bigint) =>
    withAdmin(kafka, (admin) =>
      admin.alterConsumerGroupOffsets({
        groupId: group,
        topics: [{ name: topic, partitionOffsets: [{ partition: 0, offset }] }],
      }),
    );
  try {
    // A group that never committed: every letter on the topic waits.
    expect(await lagOf(registry, topic)).toBe(3);
    // The operator dealt with the first two.
    await reviewed(2n);
    expect(await lagOf(registry, topic)).toBe(1);
    // ... then with the rest (`--reset-offsets --to-latest`).
    await reviewed(3n);
    expect(await lagOf(registry, topic)).toBe(0);
  } finally {
    await stop();
  }
});
