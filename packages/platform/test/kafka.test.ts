import { z } from 'zod';
import { ConfigResourceTypes, type Admin } from '@platformatic/kafka';
import { Partitioners } from 'kafkajs';
import {
  createKafka,
  createLogger,
  createMetricsRegistry,
  createPublisher,
  bulkImportGroupId,
  ensureTopics,
  PermanentMessageError,
  startConsumer,
  topicOffsets,
  Topics,
  withAdmin,
  type Kafka,
  type Publisher,
  type RunningConsumer,
  type TopicName,
} from '@call-sync/platform';
import { startServiceGroupsAtTopicEnds, waitForItems, waitUntil } from '@call-sync/testkit';
import { freshGroup } from '../../../test/support/consumer-groups';
import { serverEnv, uniqueName } from '../../../test/support/env';
import { readDeadLetters } from '../../../test/support/dead-letters';
import { sendRaw } from '../../../test/support/raw-messages';

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
  const expectations: [string, TopicName][] = [
    [group, Topics.VanSync],
    [group, Topics.CsvExport],
    [group, Topics.RunEvents],
    [bulkImportGroupId(group), Topics.VanBulkImport],
  ];
  // The topics are shared: another suite or a benchmark on the broker may publish meanwhile, so
  // each committed offset must lie between the end before the start and the end after it.
  const endsOf = (admin: Admin) =>
    Promise.all(expectations.map(async ([, topic]) => topicOffsets(admin, topic)));
  const before = await withAdmin(kafka, endsOf);
  await startServiceGroupsAtTopicEnds(kafka, group);

  await withAdmin(kafka, async (admin) => {
    const after = await endsOf(admin);
    const committed = async (groupId: string, topic: string) => {
      const [offsets] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
      const partitions = offsets?.topics.find((t) => t.name === topic)?.partitions ?? [];
      return new Map(partitions.map((p) => [p.partitionIndex, p.committedOffset]));
    };
    for (const [i, [groupId, topic]] of expectations.entries()) {
      const byPartition = await committed(groupId, topic);
      // Strings: jest cannot report a failure whose values are bigints (it sends them as JSON).
      const outside = after[i]!.filter(({ partition, high }) => {
        const offset = byPartition.get(partition);
        const low = before[i]!.find((e) => e.partition === partition)?.high ?? 0n;
        return offset === undefined || offset < low || offset > high;
      }).map(({ partition, high }) => ({
        partition,
        committed: String(byPartition.get(partition)),
        endBefore: String(before[i]!.find((e) => e.partition === partition)?.high),
        endAfter: String(high),
      }));
      expect({ groupId, topic, partitions: after[i]!.length, outside }).toEqual({
        groupId,
        topic,
        partitions: after[i]!.length,
        outside: [],
      });
    }
    // The dead-letter topic is no service's input: the group has nothing there.
    expect((await committed(group, Topics.DeadLetter)).size).toBe(0);
  });
});

test('a consumer whose client fails is started again: the next message is handled, and none twice', async () => {
  const runId = uniqueName('run');
  const handled: string[] = [];
  const consumer = await vanSyncConsumer('restarted', async (value, meta) => {
    if (meta.key === runId) handled.push(value.callId);
  });
  const send = (callId: string) =>
    publisher.publish(Topics.VanSync, workSchema, [{ key: runId, value: { v: 1, callId } }]);
  await send('call-0');
  await waitUntil(() => handled.includes('call-0'));
  const first = consumer.consumer;
  // What the client reports when it has given up on a broker, e.g. a rejoin that failed for good.
  first.emit('error', new Error('a failure the client does not recover from, for the test'));
  await waitUntil(() => consumer.consumer !== first, { timeoutMs: 30_000 });
  await send('call-1');
  await waitUntil(() => handled.includes('call-1'), { timeoutMs: 30_000 });
  expect(handled).toEqual(['call-0', 'call-1']);
});

test('concurrent publishes from one idempotent producer each land once, on the partition kafkajs chose for the key', async () => {
  const topic = uniqueName('concurrent-sends') as TopicName;
  await ensureTopics(kafka, [topic], { partitions: 3, replicationFactor: 1, minInsyncReplicas: 1 });
  const keys = Array.from({ length: 20 }, (_, i) => uniqueName(`key${i}`));
  const sends = keys.flatMap((key) =>
    Array.from({ length: 5 }, (_, n) => ({ key, value: { v: 1 as const, callId: `${key}/${n}` } })),
  );
  // One send per message, all at once: the 1.x line kept one of two concurrent idempotent sends.
  await Promise.all(sends.map((message) => publisher.publish(topic, workSchema, [message])));

  const ends = await withAdmin(kafka, (admin) => topicOffsets(admin, topic));
  expect(ends.reduce((sum, e) => sum + Number(e.high - e.low), 0)).toBe(sends.length);
  const seen = new Map<string, number>();
  const partitionOf = new Map<string, number>();
  running.push(
    await startConsumer({
      kafka,
      groupId: uniqueName('concurrent-sends'),
      topic,
      schema: workSchema,
      logger,
      publisher,
      handle: async (value, meta) => {
        seen.set(value.callId, (seen.get(value.callId) ?? 0) + 1);
        partitionOf.set(meta.key!, meta.partition);
      },
    }),
  );
  await waitUntil(() => seen.size === sends.length, { timeoutMs: 30_000 });
  expect([...seen.values()].every((count) => count === 1)).toBe(true);
  const kafkajsPartition = Partitioners.DefaultPartitioner();
  const partitionMetadata = [0, 1, 2].map((partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  for (const key of keys) {
    expect([key, partitionOf.get(key)]).toEqual([
      key,
      kafkajsPartition({ topic, partitionMetadata, message: { key, value: null } }),
    ]);
  }
});

test('new topics take their partitions, replication and min.insync.replicas from the settings', async () => {
  const topic = uniqueName('settings-topic') as TopicName;
  await ensureTopics(kafka, [topic], { partitions: 4, replicationFactor: 1, minInsyncReplicas: 1 });
  await withAdmin(kafka, async (admin) => {
    const metadata = (await admin.metadata({ topics: [topic] })).topics.get(topic);
    expect(metadata?.partitionsCount).toBe(4);
    expect(metadata?.partitions.every((p) => p.replicas.length === 1)).toBe(true);
    const [config] = await admin.describeConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: topic,
          configurationKeys: ['min.insync.replicas'],
        },
      ],
    });
    expect(config?.configs[0]).toMatchObject({ name: 'min.insync.replicas', value: '1' });
  });
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
  await sendRaw(kafka, Topics.CsvExport, [{ key, value: '{"v":2,"oops":true}' }]);
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
