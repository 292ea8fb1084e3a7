import type { z } from 'zod';
import {
  createPublisher,
  startConsumer,
  type ConcurrentMessages,
  type MessageHeaders,
  type Publisher,
} from './kafka/messaging';
import { registerConsumerLag } from './kafka/consumer-lag';
import type { TopicName } from './kafka/topics';
import type { ServiceRuntime } from './runtime';

export interface TopicWorkerOptions<T> {
  topic: TopicName;
  schema: z.ZodType<T>;
  groupId: string;
  partitionsConsumedConcurrently?: number;
  /** Several messages of a partition at once (messaging.ts, ConcurrentMessages). */
  concurrentMessages?: ConcurrentMessages<T>;
  sessionTimeout?: number;
  handle(
    value: T,
    meta: { key: string | null; headers: MessageHeaders },
    publisher: Publisher,
  ): Promise<void>;
}

/**
 * A service whose work arrives on one topic: a publisher for what it emits (run events, the
 * dead-letter topic), the consumer, its lag metric, and the shutdown order — stop consuming first,
 * then the lag probe, then the publisher the last handler may still be using.
 */
export async function startTopicWorker<T>(
  runtime: ServiceRuntime,
  options: TopicWorkerOptions<T>,
): Promise<Publisher> {
  const { kafka, logger, registry } = runtime;
  const publisher = await createPublisher(kafka);
  const consumer = await startConsumer({
    kafka,
    groupId: options.groupId,
    topic: options.topic,
    schema: options.schema,
    logger,
    publisher,
    registry,
    ...(options.partitionsConsumedConcurrently
      ? { partitionsConsumedConcurrently: options.partitionsConsumedConcurrently }
      : {}),
    ...(options.sessionTimeout ? { sessionTimeout: options.sessionTimeout } : {}),
    ...(options.concurrentMessages ? { concurrentMessages: options.concurrentMessages } : {}),
    handle: (value, meta) => options.handle(value, meta, publisher),
  });
  const stopLag = registerConsumerLag(kafka, registry, options.groupId, options.topic);
  // onShutdown runs the latest registration first.
  runtime.onShutdown({ name: 'publisher', run: () => publisher.disconnect() });
  runtime.onShutdown({ name: 'consumer lag', run: stopLag });
  runtime.onShutdown({ name: `${options.topic} consumer`, run: () => consumer.stop() });
  return publisher;
}
