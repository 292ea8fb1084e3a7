import { compatibilityPartitioner } from '@platformatic/kafka';
import { z } from 'zod';
import {
  createKafka,
  createLogger,
  createPublisher,
  ensureTopics,
  startConsumer,
  topicOffsets,
  topicPartitions,
  Topics,
  withAdmin,
  type ConcurrentMessages,
  type Publisher,
  type RunningConsumer,
  type TopicName,
  type Kafka,
} from '@call-sync/platform';
import { startGroupAtTopicEnds, waitUntil } from '@call-sync/testkit';
import { serverEnv, uniqueName } from '../../../test/support/env';

// Several messages of one partition in progress at once (ConcurrentMessages), on the real broker:
// one key's messages start in order and overlap up to perKey, and a failed message is delivered
// again with every later one.

jest.setTimeout(120_000);

const logger = createLogger('kafka-concurrent-test', 'silent');
const workSchema = z.object({ v: z.literal(1), n: z.number().int() });
type Work = z.infer<typeof workSchema>;

let kafka: Kafka;
let publisher: Publisher;
const running: RunningConsumer[] = [];

beforeAll(async () => {
  kafka = createKafka(uniqueName('kafka-concurrent'), serverEnv().kafkaBrokers, logger).kafka;
  await ensureTopics(kafka, Object.values(Topics));
  publisher = await createPublisher(kafka);
});

afterAll(async () => {
  await Promise.all(running.map((c) => c.stop()));
  await publisher.disconnect();
});

/**
 * A consumer of van-sync work in a new group that reads from now on (from the topic's beginning,
 * late in a CI run, it would first work through every earlier suite's messages), every partition's
 * batch at once as the van-writer consumes.
 */
async function startWorkConsumer(
  concurrentMessages: ConcurrentMessages<Work>,
  handle: (value: Work, meta: { key: string | null }) => Promise<void>,
): Promise<void> {
  const groupId = uniqueName('group');
  await startGroupAtTopicEnds(kafka, groupId, [Topics.VanSync]);
  running.push(
    await startConsumer({
      kafka,
      groupId,
      topic: Topics.VanSync,
      schema: workSchema,
      logger,
      publisher,
      partitionsConsumedConcurrently: topicPartitions[Topics.VanSync],
      concurrentMessages,
      handle,
    }),
  );
}

test('one key overlaps at most perKey messages, started in order; a failure redelivers it and nothing after it is lost', async () => {
  const key = uniqueName('key');
  const starts: number[] = [];
  const handled = new Map<number, number>();
  let inFlight = 0;
  let mostInFlight = 0;
  let failedOnce = false;
  // The group reads from now on: from the topic's beginning, late in a CI run, it would first work
  // through every earlier suite's messages (this waited past 60 s once).
  const groupId = uniqueName('group');
  await startGroupAtTopicEnds(kafka, groupId, [Topics.VanSync]);
  running.push(
    await startConsumer({
      kafka,
      groupId,
      topic: Topics.VanSync,
      schema: workSchema,
      logger,
      publisher,
      concurrentMessages: { perKey: 3 },
      handle: async (value, meta) => {
        if (meta.key !== key) return;
        starts.push(value.n);
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        try {
          await new Promise((resolve) => setTimeout(resolve, value.n === 4 ? 400 : 100));
          if (value.n === 4 && !failedOnce) {
            failedOnce = true;
            throw new Error('a blip on message 4');
          }
          handled.set(value.n, (handled.get(value.n) ?? 0) + 1);
        } finally {
          inFlight -= 1;
        }
      },
    }),
  );
  await publisher.publish(
    Topics.VanSync,
    workSchema,
    Array.from({ length: 9 }, (_, n) => ({ key, value: { v: 1 as const, n } })),
  );

  await waitUntil(() => handled.size === 9, { timeoutMs: 60_000 });
  expect(mostInFlight).toBe(3);
  // The first delivery started the key's messages in order.
  expect(starts.slice(0, 9)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  // Message 4 failed once: it is tried again, and the commits never went past it meanwhile.
  expect(starts[9]).toBeLessThanOrEqual(4);
  expect(starts.slice(9)).toContain(4);
  expect(handled.get(4)).toBe(1);
});

test('a key waiting for admission holds up no other key; an admission the stopping consumer cannot use is handed back', async () => {
  const slow = uniqueName('slow');
  const other = uniqueName('other');
  const handled = new Map<string, number>();
  let admissions = 0;
  let handedBack = 0;
  let releaseSlow!: () => void;
  const slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
  await startWorkConsumer(
    {
      perKey: 1,
      admit: async (value, key) => {
        if (key !== slow && key !== other) return undefined;
        admissions += 1;
        // The slow key's third message waits for room until the consumer is stopping.
        if (key === slow && value.n === 2) await slowGate;
        return () => (handedBack += 1);
      },
    },
    async (value, meta) => {
      if (meta.key !== slow && meta.key !== other) return;
      const id = `${meta.key === slow ? 'slow' : 'other'}-${value.n}`;
      handled.set(id, (handled.get(id) ?? 0) + 1);
    },
  );
  await publisher.publish(
    Topics.VanSync,
    workSchema,
    Array.from({ length: 20 }, (_, n) => ({ key: slow, value: { v: 1 as const, n } })),
  );
  await waitUntil(() => handled.has('slow-1'), { timeoutMs: 30_000 });
  await publisher.publish(
    Topics.VanSync,
    workSchema,
    Array.from({ length: 5 }, (_, n) => ({ key: other, value: { v: 1 as const, n } })),
  );
  await waitUntil(() => handled.has('other-4'), { timeoutMs: 30_000 });
  expect([...handled.keys()].filter((id) => id.startsWith('slow-'))).toEqual(['slow-0', 'slow-1']);

  const stopping = running.pop()!.stop();
  releaseSlow();
  await stopping;
  expect(handedBack).toBe(1);
  expect(admissions).toBe(handled.size + handedBack);
  expect([...handled.values()].every((count) => count === 1)).toBe(true);
});

test('a second member joining mid-message: the first finishes and commits before giving partitions up, and no message runs in both', async () => {
  // A topic of its own: its ends are then this test's messages only.
  const topic = uniqueName('rebalance') as TopicName;
  const partitions = topicPartitions[Topics.VanSync];
  await ensureTopics(kafka, [topic], { partitions, replicationFactor: 1, minInsyncReplicas: 1 });
  const groupId = uniqueName('group');
  // Keys on every partition, so that whichever partitions move, one holds a message in progress.
  const ours = new Set<string>();
  const covered = new Set<number>();
  while (covered.size < partitions) {
    const key = uniqueName(`key${ours.size}`);
    ours.add(key);
    covered.add(compatibilityPartitioner(undefined as never, Buffer.from(key)) % partitions);
  }
  const active = new Map<string, string>();
  const overlaps: string[] = [];
  const handled = new Map<string, number>();
  const blocked = new Set<number>();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const member = (name: string) =>
    startConsumer({
      kafka,
      groupId,
      topic,
      schema: workSchema,
      logger,
      publisher,
      partitionsConsumedConcurrently: partitions,
      concurrentMessages: { perKey: 1 },
      handle: async (value, meta) => {
        if (!meta.key || !ours.has(meta.key)) return;
        const id = `${meta.key}/${value.n}`;
        if (active.has(id)) overlaps.push(`${id} in ${active.get(id)} and ${name}`);
        active.set(id, name);
        if (name === 'first' && !blocked.has(meta.partition)) {
          blocked.add(meta.partition);
          await gate;
        }
        active.delete(id);
        handled.set(id, (handled.get(id) ?? 0) + 1);
      },
    });
  const publishRound = (n: number) =>
    publisher.publish(
      topic,
      workSchema,
      [...ours].map((key) => ({ key, value: { v: 1 as const, n } })),
    );
  const first = await member('first');
  running.push(first);
  await publishRound(0);
  await waitUntil(() => blocked.size === partitions, { timeoutMs: 30_000 });
  const rebalancing = new Promise((resolve) => first.consumer.once('consumer:group:rebalance', resolve));
  let secondJoined = false;
  const joining = member('second').then((second) => {
    secondJoined = true;
    return second;
  });
  await rebalancing;
  // The group waits for the first member to rejoin while its messages are in progress. Were it
  // to rejoin at once, the second would be given partitions and start their messages again.
  const state = async () =>
    (await withAdmin(kafka, (admin) => admin.describeGroups({ groups: [groupId] }))).get(groupId)?.state;
  await waitUntil(
    async () => secondJoined || overlaps.length > 0 || (await state()) === 'PreparingRebalance',
  );
  release();
  const second = await joining;
  running.push(second);
  expect(second.consumer.assignments?.[0]?.partitions.length).toBeGreaterThan(0);
  await publishRound(1);
  await waitUntil(() => handled.size === ours.size * 2, { timeoutMs: 60_000 });
  await Promise.all([first.stop(), second.stop()]);
  running.splice(running.indexOf(first), 1);
  running.splice(running.indexOf(second), 1);

  expect(overlaps).toEqual([]);
  // Every offset the group committed is the topic's end: no member moved another's offsets back.
  const [ends, committed] = await withAdmin(kafka, (admin) =>
    Promise.all([topicOffsets(admin, topic), admin.listConsumerGroupOffsets({ groups: [groupId] })]),
  );
  const byPartition = new Map(
    (committed[0]?.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => [
      p.partitionIndex,
      p.committedOffset,
    ]),
  );
  expect(ends.map((e) => byPartition.get(e.partition))).toEqual(ends.map((e) => e.high));
});
