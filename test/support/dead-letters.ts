import {
  deadLetterSchema,
  startConsumer,
  Topics,
  type DeadLetter,
  type Logger,
  type Publisher,
  type RunningConsumer,
  type Kafka,
} from '@call-sync/platform';
import { freshGroup } from './consumer-groups';

/**
 * Reads the dead-letter topic in a consumer group of its own and keeps the letters whose key is
 * `key` (the topic is shared by every test on the broker). Stop the consumer after the test.
 */
export async function readDeadLetters(
  bus: { kafka: Kafka; publisher: Publisher; logger: Logger },
  key: string,
): Promise<{ letters: DeadLetter[]; consumer: RunningConsumer }> {
  const letters: DeadLetter[] = [];
  const consumer = await startConsumer({
    kafka: bus.kafka,
    groupId: await freshGroup('dead-letter-reader', [Topics.DeadLetter]),
    topic: Topics.DeadLetter,
    schema: deadLetterSchema,
    logger: bus.logger,
    publisher: bus.publisher,
    handle: async (letter) => {
      if (letter.key === key) letters.push(letter);
    },
  });
  return { letters, consumer };
}
