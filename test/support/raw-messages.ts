import { compatibilityPartitioner, Producer, stringSerializers } from '@platformatic/kafka';
import type { Kafka } from '@call-sync/platform';

/**
 * Sends values as they are, past the publisher's schema check: what a buggy or foreign producer
 * would put on a topic. Keys go to the partitions the publisher would pick.
 */
export async function sendRaw(
  kafka: Kafka,
  topic: string,
  messages: { key: string; value: string }[],
): Promise<void> {
  const producer = new Producer({
    ...kafka.options,
    partitioner: compatibilityPartitioner,
    serializers: stringSerializers,
  });
  try {
    await producer.send({ messages: messages.map((m) => ({ topic, ...m })) });
  } finally {
    await producer.close();
  }
}
