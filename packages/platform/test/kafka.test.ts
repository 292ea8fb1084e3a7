import { z } from 'zod';
import { ConfigResourceTypes, KafkaJSNonRetriableError, type Kafka } from 'kafkajs';
import {
  createKafka,
  createLogger,
  createMetricsRegistry,
  createPublisher,
  bulkImportGroupId,
  ensureTopics,
  PermanentMessageError,
  startConsumer,
  Topics,
  type Publisher,
  type RunningConsumer,
  type TopicName,
} from '@call-sync/platform';
import { startServiceGroupsAtTopicEnds, waitForItems, waitUntil } from '@call-sync/testkit';
import { freshGroup } from '../../../test/support/consumer-groups';
import { serverEnv, uniqueName } from '../../../test/support/env';
import { readDeadLetters } from '../../../test/support/dead-letters';

const logger = createLogger('kafka-test', 'silent');
const workSchema = z.object({ v: z.literal(1), callId: z.string() });
type Work = z.infer<typeof workSchema>;

let kafka: Kafka;
let publisher: Publisher;
const running: RunningConsumer[] = [];

beforeAll(async () => {
  kafka = createKafka(uniqueName('kafka-test'), serverEnv().kafkaBrokers, logger).kafka;
  await ensureTopics(kafka, Object.values(Topics));
  publisher = await createPublisher(kafka);
});

/** A consumer of van-sync in a group of its own that reads from now on; stopped after the tests. */
async function vanSyncConsumer(
  prefix: string,
  handle: (value: Work, meta: { key: string | null }) => Promise<void>,
): Promise<RunningConsumer> {
  const consumer = await startConsumer({
    kafka,
    groupId: await freshGroup(prefix, [Topics.VanSync]),
    topic: Topics.VanSync,
    schema: workSchema,
    logger,
    publisher,
    handle,
  });
  running.push(consumer);
  return consumer;
}

afterAll(async () => {
  await Promise.all(running.map((c) => c.stop()));
  await publisher.disconnect();
});

test('messages published with a key round-trip through a consumer group, in order per key', async () => {
  const runId = uniqueName('run');
  const received: Work[] = [];
  await vanSyncConsumer('group', async (value, meta) => {
    if (meta.key === runId) received.push(value);
  });
  const sent = Array.from({ length: 25 }, (_, i) => ({ v: 1 as const, callId: `call-${i}` }));
  await publisher.publish(
    Topics.VanSync,
    workSchema,
    sent.map((value) => ({ key: runId, value })),
  );
  await waitForItems(received, 25);
  expect(received).toEqual(sent);
});

test("a service group started at the topics' ends has every partition of each of its topics committed at the end", async () => {
  // Something on each topic first, so that the ends are not all zero.
  await publisher.publish(Topics.VanSync, workSchema, [
    { key: uniqueName('before'), value: { v: 1, callId: 'before' } },
  ]);
  const group = uniqueName('service-group');
  await startServiceGroupsAtTopicEnds(kafka, group);

  const admin = kafka.admin();
  await admin.connect();
  try {
    const expectations: [string, TopicName][] = [
      [group, Topics.VanSync],
      [group, Topics.CsvExport],
      [group, Topics.RunEvents],
      [bulkImportGroupId(group), Topics.VanBulkImport],
    ];
    for (const [groupId, topic] of expectations) {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const byPartition = new Map(committed!.partitions.map((p) => [p.partition, p.offset]));
      expect({ groupId, topic, offsets: ends.map((e) => byPartition.get(e.partition)) }).toEqual({
        groupId,
        topic,
        offsets: ends.map((e) => e.high),
      });
    }
    // The dead-letter topic is no service's input: the group has nothing there.
    const [dead] = await admin.fetchOffsets({ groupId: group, topics: [Topics.DeadLetter] });
    expect(dead!.partitions.every((p) => p.offset === '-1')).toBe(true);
  } finally {
    await admin.disconnect();
  }
});

test('a consumer that kafkajs stops for good (an error it deems final) is started again, and the message is handled', async () => {
  const runId = uniqueName('run');
  const handled: string[] = [];
  let crashes = 0;
  const consumer = await vanSyncConsumer('restarted', async (value, meta) => {
    if (meta.key !== runId) return;
    // What kafkajs throws when, say, it cannot find the group coordinator: it does not restart.
    if (value.callId === 'call-1' && crashes === 0) {
      crashes += 1;
      throw new KafkaJSNonRetriableError('a final error, for the test');
    }
    handled.push(value.callId);
  });
  const first = consumer.consumer;
  await publisher.publish(
    Topics.VanSync,
    workSchema,
    ['call-0', 'call-1', 'call-2'].map((callId) => ({ key: runId, value: { v: 1 as const, callId } })),
  );
  await waitUntil(() => handled.includes('call-2'), { timeoutMs: 30_000 });
  expect(crashes).toBe(1);
  // call-1 came again after the restart, and nothing after it was skipped.
  expect(handled.filter((id) => id !== 'call-0')).toEqual(['call-1', 'call-2']);
  expect(consumer.consumer).not.toBe(first);
});

test('new topics take their partitions, replication and min.insync.replicas from the settings', async () => {
  const topic = uniqueName('settings-topic') as TopicName;
  await ensureTopics(kafka, [topic], { partitions: 4, replicationFactor: 1, minInsyncReplicas: 1 });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    expect(metadata?.partitions).toHaveLength(4);
    expect(metadata?.partitions.every((p) => p.replicas.length === 1)).toBe(true);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
    });
    expect(configs.resources[0]?.configEntries[0]).toMatchObject({
      configName: 'min.insync.replicas',
      configValue: '1',
    });
  } finally {
    await admin.disconnect();
  }
  // Three copies on this one-broker cluster cannot be made: the broker refuses, nothing is created.
  const tooMany = uniqueName('three-copies') as TopicName;
  await expect(
    ensureTopics(kafka, [tooMany], { replicationFactor: 3, minInsyncReplicas: 2 }),
  ).rejects.toThrow(
    `could not create Kafka topics (KAFKA_REPLICATION_FACTOR=3): ${tooMany}: INVALID_REPLICATION_FACTOR`,
  );
  await expect(
    ensureTopics(kafka, [tooMany], { replicationFactor: 1, minInsyncReplicas: 2 }),
  ).rejects.toThrow('KAFKA_MIN_INSYNC_REPLICAS (2) cannot exceed KAFKA_REPLICATION_FACTOR (1)');
});

test('an invalid message and a permanently failing one go to the dead-letter topic with their reason', async () => {
  const key = uniqueName('poison');
  const { letters, consumer: deadLetterReader } = await readDeadLetters({ kafka, publisher, logger }, key);
  running.push(deadLetterReader);
  const registry = createMetricsRegistry('kafka-test');
  const handled: string[] = [];
  const workerGroup = await freshGroup('worker', [Topics.CsvExport]);
  running.push(
    await startConsumer({
      kafka,
      groupId: workerGroup,
      topic: Topics.CsvExport,
      schema: workSchema,
      logger,
      publisher,
      registry,
      handle: async (value, meta) => {
        if (value.callId === 'refuse-me')
          throw new PermanentMessageError('call refuse-me cannot be exported');
        if (meta.key === key) handled.push(value.callId);
      },
    }),
  );
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: Topics.CsvExport, messages: [{ key, value: '{"v":2,"oops":true}' }] });
  await producer.disconnect();
  await publisher.publish(Topics.CsvExport, workSchema, [{ key, value: { v: 1, callId: 'refuse-me' } }]);
  // Behind the poison on the same partition: parked messages do not hold it up.
  await publisher.publish(Topics.CsvExport, workSchema, [{ key, value: { v: 1, callId: 'after-poison' } }]);

  // The topics are shared with every other test, and a csv-writer started by another suite may
  // dead-letter these same messages by its own schema: each letter names the group that parked it.
  const ours = () => letters.filter((l) => l.group === workerGroup);
  const errorsFor = (original: string) =>
    ours()
      .filter((l) => l.original === original)
      .map((l) => l.error);
  const refused = '{"v":1,"callId":"refuse-me"}';
  await waitUntil(() => ours().length >= 2);
  expect(errorsFor('{"v":2,"oops":true}')).toEqual([expect.stringMatching(/^invalid message: /)]);
  expect(errorsFor(refused)).toEqual(['call refuse-me cannot be exported']);
  expect(ours()).toHaveLength(2);
  expect(letters.every((l) => l.topic === Topics.CsvExport)).toBe(true);
  await waitUntil(() => handled.includes('after-poison'));
  const parked = (await registry.getMetricsAsJSON()).find(
    (m) => m.name === 'callsync_dead_letter_messages_total',
  );
  expect(parked?.values.find((v) => v.labels.topic === Topics.CsvExport)?.value).toBeGreaterThanOrEqual(2);
});

test('publishing a value that breaks its schema is refused before it reaches the topic', async () => {
  await expect(
    publisher.publish(Topics.VanSync, workSchema, [
      { key: 'k', value: { v: 1, callId: 42 } as unknown as Work },
    ]),
  ).rejects.toThrow();
});
