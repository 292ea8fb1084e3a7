import { Kafka, logLevel, type Admin, type KafkaConfig } from 'kafkajs';
import type { Logger } from '../logger';
import { topicPartitions, type TopicName } from './topics';

// kafkajs is kept behind this folder: a change of Kafka client touches kafka/ only.

export interface KafkaConnection {
  kafka: Kafka;
  brokers: string[];
}

const kafkaLogLevel: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function createKafka(
  clientId: string,
  brokers: string[],
  logger: Logger,
  extra: Partial<KafkaConfig> = {},
): KafkaConnection {
  const kafka = new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8 },
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...rest } = log;
        logger[kafkaLogLevel[level] ?? 'info']({ kafka: rest }, message);
      },
    ...extra,
  });
  return { kafka, brokers };
}

/** Creates the topics that do not exist yet (the broker does not auto-create them). */
export async function ensureTopics(kafka: Kafka, topics: TopicName[]): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: topicPartitions[topic],
          replicationFactor: 1,
        })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}
