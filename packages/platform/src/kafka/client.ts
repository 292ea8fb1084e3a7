import {
  ConfigResourceTypes,
  Kafka,
  logLevel,
  type Admin,
  type KafkaConfig,
  type SASLOptions,
} from 'kafkajs';
import { EnvError } from '../env';
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

export interface KafkaSecuritySettings {
  KAFKA_SSL: boolean;
  KAFKA_SASL_MECHANISM?: 'plain' | 'scram-sha-256' | 'scram-sha-512' | undefined;
  KAFKA_SASL_USERNAME?: string | undefined;
  KAFKA_SASL_PASSWORD?: string | undefined;
}

/**
 * The client's TLS and SASL options from the environment. A mechanism without both credentials is a
 * configuration error at start-up, not an authentication failure at the first request.
 */
export function kafkaSecurity(settings: KafkaSecuritySettings): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const {
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
  } = settings;
  const security: Pick<KafkaConfig, 'ssl' | 'sasl'> = settings.KAFKA_SSL ? { ssl: true } : {};
  if (mechanism === undefined) {
    if (username !== undefined || password !== undefined)
      throw new EnvError([
        'KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set but KAFKA_SASL_MECHANISM is not',
      ]);
    return security;
  }
  if (username === undefined || password === undefined)
    throw new EnvError([
      `KAFKA_SASL_MECHANISM is ${mechanism} but KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is not set`,
    ]);
  // kafkajs types SASL as one object per mechanism; the cast joins the three identical shapes.
  return { ...security, sasl: { mechanism, username, password } as SASLOptions };
}

/** How new topics are laid out: one broker locally, three copies on a production cluster. */
export interface TopicSettings {
  /** Partitions of each new topic; unset, each topic's default (`topicPartitions`). */
  partitions?: number | undefined;
  replicationFactor: number;
  /** With acks from all replicas, how many copies must hold a message before it counts as sent. */
  minInsyncReplicas: number;
}

const LOCAL_TOPIC_SETTINGS: TopicSettings = { replicationFactor: 1, minInsyncReplicas: 1 };

/**
 * Creates the topics that do not exist yet (the broker does not auto-create them). Topics that
 * exist are left as they are: changing partitions would move keys between partitions.
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: TopicName[],
  settings: TopicSettings = LOCAL_TOPIC_SETTINGS,
): Promise<void> {
  if (settings.minInsyncReplicas > settings.replicationFactor) {
    throw new RangeError(
      `KAFKA_MIN_INSYNC_REPLICAS (${settings.minInsyncReplicas}) cannot exceed KAFKA_REPLICATION_FACTOR (${settings.replicationFactor})`,
    );
  }
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin
        .createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({
            topic,
            numPartitions: settings.partitions ?? topicPartitions[topic],
            replicationFactor: settings.replicationFactor,
            configEntries: [{ name: 'min.insync.replicas', value: String(settings.minInsyncReplicas) }],
          })),
        })
        .catch((error: Error & { errors?: { topic?: string; type?: string }[] }) => {
          // kafkajs says only "Topic creation errors"; the broker's reason is per topic.
          const reasons = (error.errors ?? []).map((t) => `${t.topic ?? '?'}: ${t.type ?? 'refused'}`);
          if (reasons.length === 0) throw error;
          throw new Error(
            `could not create Kafka topics (KAFKA_REPLICATION_FACTOR=${settings.replicationFactor}): ${reasons.join('; ')}`,
            { cause: error },
          );
        });
    }
  } finally {
    await admin.disconnect();
  }
}

/** What a reconciliation changed on the cluster, for the migration's log. */
export interface TopicChanges {
  created: string[];
  /** Topics whose partitions were added, with the counts before and after. */
  grown: { topic: string; from: number; to: number }[];
  /** Topics whose min.insync.replicas was set to the settings' value. */
  minInsyncReplicasSet: string[];
}

/**
 * The migration's view of the topics: creates the missing ones, adds partitions to a topic that
 * has fewer than the settings ask (Kafka cannot take partitions away: more are left alone), and
 * sets min.insync.replicas where it differs. Adding partitions sends a key's later messages to
 * another partition, so it runs before the new pods start and between nights.
 */
export async function reconcileTopics(
  kafka: Kafka,
  topics: TopicName[],
  settings: TopicSettings = LOCAL_TOPIC_SETTINGS,
): Promise<TopicChanges> {
  const before = new Set(await listTopics(kafka));
  await ensureTopics(kafka, topics, settings);
  const changes: TopicChanges = {
    created: topics.filter((t) => !before.has(t)),
    grown: [],
    minInsyncReplicasSet: [],
  };
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = topics.filter((t) => before.has(t));
    if (existing.length === 0) return changes;
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: existing });
    const grow = metadata.flatMap(({ name, partitions }) => {
      const wanted = settings.partitions ?? topicPartitions[name as TopicName];
      return partitions.length < wanted ? [{ topic: name, from: partitions.length, to: wanted }] : [];
    });
    if (grow.length > 0) {
      await admin.createPartitions({
        validateOnly: false,
        topicPartitions: grow.map(({ topic, to }) => ({ topic, count: to })),
      });
      changes.grown = grow;
    }
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: existing.map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['min.insync.replicas'],
      })),
    });
    const wantedIsr = String(settings.minInsyncReplicas);
    const differing = configs.resources
      .filter(
        (r) => r.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue !== wantedIsr,
      )
      .map((r) => r.resourceName);
    if (differing.length > 0) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: differing.map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
          configEntries: [{ name: 'min.insync.replicas', value: wantedIsr }],
        })),
      });
      changes.minInsyncReplicasSet = differing;
    }
  } finally {
    await admin.disconnect();
  }
  return changes;
}

async function listTopics(kafka: Kafka): Promise<string[]> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}
