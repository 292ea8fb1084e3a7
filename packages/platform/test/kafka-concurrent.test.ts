import { z } from 'zod';
import type { Kafka } from 'kafkajs';
import {
  createKafka,
  createLogger,
  createPublisher,
  ensureTopics,
  startConsumer,
  topicPartitions,
  Topics,
  type ConcurrentMessages,
  type Publisher,
  type RunningConsumer,
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
  // Message 4 failed once: it is delivered again, with no message after it skipped (kafkajs
  // restarts from what was committed, which is never past the lowest unfinished message).
  expect(starts[9]).toBeLessThanOrEqual(4);
  expect(starts.slice(9)).toContain(4);
  expect(handled.get(4)).toBe(1);
});

test('batches fetched just after an idle spell start messages only for their short budget: keys published moments after the first are not held up by a long one, and an admission a batch cannot use is handed back', async () => {
  const slow = uniqueName('slow');
  const next = uniqueName('next');
  const late = uniqueName('late');
  const starts: string[] = [];
  const handled = new Map<string, number>();
  let admissions = 0;
  let handedBack = 0;
  let delayedOnce = false;
  await startWorkConsumer(
    {
      perKey: 1,
      batchTimeBudgetMs: 60_000,
      batchTimeBudgetAfterIdleMs: 1_000,
      afterIdleRampMs: 5_000,
      admit: async (value, key) => {
        if (key !== slow && key !== next && key !== late) return undefined;
        admissions += 1;
        // The third message of the slow key waits for room past the batch's budget.
        if (key === slow && value.n === 2 && !delayedOnce) {
          delayedOnce = true;
          await new Promise((resolve) => setTimeout(resolve, 1_500));
        }
        return () => (handedBack += 1);
      },
    },
    async (value, meta) => {
      if (meta.key !== slow && meta.key !== next && meta.key !== late) return;
      const id = `${meta.key === slow ? 'slow' : meta.key === next ? 'next' : 'late'}-${value.n}`;
      starts.push(id);
      await new Promise((resolve) => setTimeout(resolve, 300));
      handled.set(id, (handled.get(id) ?? 0) + 1);
    },
  );
  await publisher.publish(
    Topics.VanSync,
    workSchema,
    Array.from({ length: 20 }, (_, n) => ({ key: slow, value: { v: 1 as const, n } })),
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  await publisher.publish(Topics.VanSync, workSchema, [{ key: next, value: { v: 1, n: 0 } }]);
  // A third key, once the second fetch is under way (it took the slow key from its third message
  // on): that fetch's batches too started just after the idle spell, so their budget is short as
  // well and the third key waits for no long one either.
  await waitUntil(() => starts.includes('slow-3'), { timeoutMs: 30_000 });
  await publisher.publish(Topics.VanSync, workSchema, [{ key: late, value: { v: 1, n: 0 } }]);

  await waitUntil(() => handled.size === 22, { timeoutMs: 60_000 });
  // The admission that came too late for the first batch was handed back, not lost: every
  // message was handled once, and every admission either started a message or was handed back.
  expect(handedBack).toBe(1);
  expect([...handled.values()].every((count) => count === 1)).toBe(true);
  expect(admissions).toBe(starts.length + handedBack);
  // The slow key's first batch ended at its budget, so the other key started long before the
  // slow key's last message (with one long budget it waited for all twenty).
  expect(starts.indexOf('next-0')).toBeLessThan(starts.indexOf('slow-10'));
  expect(starts.indexOf('late-0')).toBeLessThan(starts.indexOf('slow-15'));
});

test('a key new to the night starts the short budgets again: candidates published one after another, past the first seconds, are not held behind a long batch', async () => {
  const slow = uniqueName('slow');
  const later = [1, 2, 3, 4].map((i) => uniqueName(`later${i}`));
  const ours = new Set([slow, ...later]);
  const starts: string[] = [];
  let handled = 0;
  await startWorkConsumer(
    { perKey: 1, batchTimeBudgetMs: 60_000, batchTimeBudgetAfterIdleMs: 500, afterIdleRampMs: 4_000 },
    async (value, meta) => {
      if (!meta.key || !ours.has(meta.key)) return;
      starts.push(`${meta.key === slow ? 'slow' : `later${later.indexOf(meta.key) + 1}`}-${value.n}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      handled += 1;
    },
  );
  await publisher.publish(
    Topics.VanSync,
    workSchema,
    Array.from({ length: 60 }, (_, n) => ({ key: slow, value: { v: 1 as const, n } })),
  );
  // Each later key two seconds after the one before it started (well inside the 4 s ramp, on a
  // busy machine too): the second already comes past the first 4 s, as a night's later candidates do.
  for (const [i, key] of later.entries()) {
    await waitUntil(() => starts.includes(i === 0 ? 'slow-0' : `later${i}-0`), { timeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await publisher.publish(Topics.VanSync, workSchema, [{ key, value: { v: 1, n: 0 } }]);
  }
  await waitUntil(() => handled === 64, { timeoutMs: 60_000 });
  // With the ramp counted from the idle spell only, the third and fourth keys waited for a
  // 60-second batch, i.e. for all sixty of the slow key's messages.
  expect(starts.indexOf('later4-0')).toBeLessThan(starts.indexOf('slow-45'));
  expect(starts.indexOf('later3-0')).toBeLessThan(starts.indexOf('slow-40'));
});
