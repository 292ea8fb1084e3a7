import type { Consumer, IHeaders, Kafka, Producer } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import { decodeMessage } from '@call-sync/core';
import type { Logger } from '../logger';
import { Topics, type TopicName } from './topics';

/** A message that failed validation or handling for good, parked with its reason and original. */
export const deadLetterSchema = z.object({
  v: z.literal(1),
  topic: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  key: z.string().nullable(),
  error: z.string(),
  original: z.string(),
  at: z.string(),
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;

export interface Publisher {
  publish<T>(
    topic: TopicName,
    schema: z.ZodType<T>,
    messages: { key: string; value: T; headers?: IHeaders }[],
  ): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * An idempotent producer with acks from all replicas: a publish either lands once or fails loudly.
 * Every value is validated against its schema before it leaves, so a bug cannot poison a topic.
 */
export async function createPublisher(kafka: Kafka): Promise<Publisher> {
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return {
    async publish(topic, schema, messages) {
      if (messages.length === 0) return;
      const encoded = messages.map((m) => ({
        key: m.key,
        value: JSON.stringify(schema.parse(m.value)),
        ...(m.headers ? { headers: m.headers } : {}),
      }));
      await producer.send({ topic, acks: -1, messages: encoded });
    },
    disconnect: () => producer.disconnect(),
  };
}

const HEARTBEAT_INTERVAL_MS = 1_000;

export class PermanentMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentMessageError';
  }
}

export interface ConsumerOptions<T> {
  kafka: Kafka;
  groupId: string;
  topic: TopicName;
  schema: z.ZodType<T>;
  logger: Logger;
  publisher: Publisher;
  /** Handles one valid message. Throw PermanentMessageError to dead-letter it; anything else retries. */
  handle(
    value: T,
    meta: { key: string | null; headers: IHeaders; partition: number; offset: string },
  ): Promise<void>;
  partitionsConsumedConcurrently?: number;
  sessionTimeout?: number;
  fromBeginning?: boolean;
  /** Where `callsync_dead_letter_messages_total` is counted (the alert on parked messages). */
  registry?: Registry;
}

function deadLetterCounter(registry: Registry): Counter<'topic'> {
  const name = 'callsync_dead_letter_messages_total';
  return (
    (registry.getSingleMetric(name) as Counter<'topic'> | undefined) ??
    new Counter({
      name,
      help: 'Messages parked on the dead-letter topic (invalid, or failed for good), by source topic',
      labelNames: ['topic'],
      registers: [registry],
    })
  );
}

export interface RunningConsumer {
  consumer: Consumer;
  /** Stops fetching, lets the in-flight message finish and commits, then leaves the group. */
  stop(): Promise<void>;
}

/**
 * Consumes one topic with at-least-once delivery: the offset of a message is committed only after
 * its handler has returned (the handler writes its outcome to Mongo first), so a crash redelivers
 * instead of losing. Messages that fail schema validation, or whose handler reports a permanent
 * error, go to the dead-letter topic with the error and the original bytes.
 */
export async function startConsumer<T>(options: ConsumerOptions<T>): Promise<RunningConsumer> {
  const { kafka, groupId, topic, schema, logger, publisher } = options;
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: options.sessionTimeout ?? 10_000,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    maxWaitTimeInMs: 500,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? true });
  const deadLetters = options.registry ? deadLetterCounter(options.registry) : undefined;
  deadLetters?.inc({ topic }, 0);

  const deadLetter = async (
    message: { key: Buffer | null; value: Buffer | null; offset: string },
    partition: number,
    error: string,
  ) => {
    const letter: DeadLetter = {
      v: 1,
      topic,
      partition,
      offset: message.offset,
      key: message.key?.toString() ?? null,
      error,
      original: message.value?.toString() ?? '',
      at: new Date().toISOString(),
    };
    await publisher.publish(Topics.DeadLetter, deadLetterSchema, [
      { key: letter.key ?? topic, value: letter },
    ]);
    deadLetters?.inc({ topic });
    logger.warn({ topic, partition, offset: message.offset, error }, 'message sent to the dead-letter topic');
  };

  await consumer.run({
    autoCommit: true,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
    eachMessage: async ({ message, partition, heartbeat }) => {
      const decoded = decodeMessage(schema, message.value?.toString() ?? '');
      if (!decoded.ok) {
        await deadLetter(message, partition, `invalid message: ${decoded.error}`);
        return;
      }
      const parsed = decoded.message;
      // kafkajs heartbeats only when asked to, between messages: a long handler (a big night's CSV
      // export) would outlive the session and trigger a rebalance that redelivers the message.
      const keepAlive = setInterval(() => {
        heartbeat().catch(() => undefined);
      }, HEARTBEAT_INTERVAL_MS);
      try {
        await options.handle(parsed, {
          key: message.key?.toString() ?? null,
          headers: message.headers ?? {},
          partition,
          offset: message.offset,
        });
        await heartbeat();
      } catch (error) {
        if (error instanceof PermanentMessageError) {
          await deadLetter(message, partition, error.message);
          return;
        }
        throw error; // kafkajs retries the message; its offset stays uncommitted.
      } finally {
        clearInterval(keepAlive);
      }
    },
  });

  return {
    consumer,
    stop: async () => {
      await consumer.stop();
      await consumer.disconnect();
    },
  };
}
