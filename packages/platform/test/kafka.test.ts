import { z } from 'zod';
import type { Kafka } from 'kafkajs';
import {
  createKafka,
  createLogger,
  createPublisher,
  deadLetterSchema,
  ensureTopics,
  PermanentMessageError,
  startConsumer,
  Topics,
  type DeadLetter,
  type Publisher,
  type RunningConsumer,
} from '@call-sync/platform';
import { serverEnv, uniqueName } from '../../../test/support/env';

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

afterAll(async () => {
  await Promise.all(running.map((c) => c.stop()));
  await publisher.disconnect();
});

async function waitUntil(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function waitFor<T>(items: T[], count: number, timeoutMs = 30_000): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (items.length >= count) return resolve(items);
      if (Date.now() - started > timeoutMs)
        return reject(new Error(`only ${items.length} of ${count} arrived`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

test('messages published with a key round-trip through a consumer group, in order per key', async () => {
  const runId = uniqueName('run');
  const received: Work[] = [];
  running.push(
    await startConsumer({
      kafka,
      groupId: uniqueName('group'),
      topic: Topics.VanSync,
      schema: workSchema,
      logger,
      publisher,
      handle: async (value, meta) => {
        if (meta.key === runId) received.push(value);
      },
    }),
  );
  const sent = Array.from({ length: 25 }, (_, i) => ({ v: 1 as const, callId: `call-${i}` }));
  await publisher.publish(
    Topics.VanSync,
    workSchema,
    sent.map((value) => ({ key: runId, value })),
  );
  await waitFor(received, 25);
  expect(received).toEqual(sent);
});

test('an invalid message and a permanently failing one go to the dead-letter topic with their reason', async () => {
  const key = uniqueName('poison');
  const letters: DeadLetter[] = [];
  running.push(
    await startConsumer({
      kafka,
      groupId: uniqueName('dlq-reader'),
      topic: Topics.DeadLetter,
      schema: deadLetterSchema,
      logger,
      publisher,
      handle: async (letter) => {
        if (letter.key === key) letters.push(letter);
      },
    }),
  );
  running.push(
    await startConsumer({
      kafka,
      groupId: uniqueName('worker'),
      topic: Topics.CsvExport,
      schema: workSchema,
      logger,
      publisher,
      handle: async (value) => {
        if (value.callId === 'refuse-me')
          throw new PermanentMessageError('call refuse-me cannot be exported');
      },
    }),
  );
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: Topics.CsvExport, messages: [{ key, value: '{"v":2,"oops":true}' }] });
  await producer.disconnect();
  await publisher.publish(Topics.CsvExport, workSchema, [{ key, value: { v: 1, callId: 'refuse-me' } }]);

  // The topics are shared with every other test, and a csv-writer started by another suite may
  // dead-letter these same messages by its own schema: look for the letters our worker wrote.
  const errorsFor = (original: string) => letters.filter((l) => l.original === original).map((l) => l.error);
  const refused = '{"v":1,"callId":"refuse-me"}';
  await waitUntil(
    () =>
      errorsFor(refused).includes('call refuse-me cannot be exported') &&
      errorsFor('{"v":2,"oops":true}').length > 0,
  );
  expect(errorsFor('{"v":2,"oops":true}').every((error) => error.startsWith('invalid message: '))).toBe(true);
  expect(errorsFor(refused)).toContain('call refuse-me cannot be exported');
  expect(letters.every((l) => l.topic === Topics.CsvExport)).toBe(true);
});

test('publishing a value that breaks its schema is refused before it reaches the topic', async () => {
  await expect(
    publisher.publish(Topics.VanSync, workSchema, [
      { key: 'k', value: { v: 1, callId: 42 } as unknown as Work },
    ]),
  ).rejects.toThrow();
});
