import {
  Admin,
  ConfigResourceTypes,
  IncrementalAlterConfigOperationTypes,
  ListOffsetTimestamps,
  type BaseOptions,
} from '@platformatic/kafka';
import { EnvError } from '../env';
import type { Logger } from '../logger';
import { topicPartitions, type TopicName } from './topics';

// @platformatic/kafka is kept behind this folder: a change of Kafka client touches kafka/ only.

/** TLS and SASL as the environment gives them (kafkaSecurity). */
export interface KafkaSecurity {
  ssl?: true;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

/** Where the brokers are and how to reach them; producers, consumers and admins are made from it. */
export class Kafka {
  constructor(
    readonly clientId: string,
    readonly brokers: string[],
    readonly logger: Logger,
    readonly security: KafkaSecurity = {},
  ) {}

  /** The options every client of this connection shares. */
  get options(): BaseOptions {
    const { ssl, sasl } = this.security;
    return {
      clientId: this.clientId,
      bootstrapBrokers: this.brokers,
      // kafkajs's budget (8 retries from 200 ms, doubling): a broker restart of some 30 s is ridden out.
      retries: 8,
      retryDelay: (_client, _operation, attempt) => Math.min(200 * 2 ** (attempt - 1), 30_000),
      ...(ssl ? { tls: {} } : {}),
      ...(sasl ? { sasl: { ...sasl, mechanism: sasl.mechanism.toUpperCase() as 'PLAIN' } } : {}),
    };
  }

  /** An admin client; close it after use. */
  admin(): Admin {
    return new Admin(this.options);
  }
}

export interface KafkaConnection {
  kafka: Kafka;
  brokers: string[];
}

export function createKafka(
  clientId: string,
  brokers: string[],
  logger: Logger,
  security: KafkaSecurity = {},
): KafkaConnection {
  return { kafka: new Kafka(clientId, brokers, logger, security), brokers };
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
export function kafkaSecurity(settings: KafkaSecuritySettings): KafkaSecurity {
  const {
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
  } = settings;
  const security: KafkaSecurity = settings.KAFKA_SSL ? { ssl: true } : {};
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
  return { ...security, sasl: { mechanism, username, password } };
}

/** Runs `work` with an admin client of its own, closed afterwards. */
export async function withAdmin<R>(kafka: Kafka, work: (admin: Admin) => Promise<R>): Promise<R> {
  const admin = kafka.admin();
  try {
    return await work(admin);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** Each partition's first (`low`) and next (`high`) offset. */
export async function topicOffsets(
  admin: Admin,
  topic: string,
): Promise<{ partition: number; low: bigint; high: bigint }[]> {
  const metadata = await admin.metadata({ topics: [topic] });
  const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
  const at = async (timestamp: bigint) => {
    const partitions = Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp }));
    const [listed] = await admin.listOffsets({ topics: [{ name: topic, partitions }] });
    return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
  };
  const [low, high] = await Promise.all([at(ListOffsetTimestamps.EARLIEST), at(ListOffsetTimestamps.LATEST)]);
  return Array.from({ length: count }, (_, partition) => ({
    partition,
    low: low.get(partition) ?? 0n,
    high: high.get(partition) ?? 0n,
  }));
}

/** The broker's reasons (`TOPIC_ALREADY_EXISTS`, …) inside an error, however deeply it wraps them. */
function reasons(error: unknown): string[] {
  const { apiId, errors } = (error ?? {}) as { apiId?: string; errors?: unknown[] };
  if (Array.isArray(errors) && errors.length > 0) return errors.flatMap(reasons);
  return apiId ? [apiId] : [];
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
  await withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    // One request per topic: the broker's reason is then the topic's own, and another service
    // creating the same topic at the same moment is not a failure.
    for (const topic of missing) {
      await admin
        .createTopics({
          topics: [topic],
          partitions: settings.partitions ?? topicPartitions[topic],
          replicas: settings.replicationFactor,
          configs: [{ name: 'min.insync.replicas', value: String(settings.minInsyncReplicas) }],
        })
        .catch((error: unknown) => {
          const why = reasons(error);
          if (why.length > 0 && why.every((r) => r === 'TOPIC_ALREADY_EXISTS')) return;
          throw new Error(
            `could not create Kafka topics (KAFKA_REPLICATION_FACTOR=${settings.replicationFactor}): ${topic}: ${why.join(', ') || 'refused'}`,
            { cause: error },
          );
        });
    }
  });
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
  const before = new Set(await withAdmin(kafka, (admin) => admin.listTopics()));
  await ensureTopics(kafka, topics, settings);
  const changes: TopicChanges = {
    created: topics.filter((t) => !before.has(t)),
    grown: [],
    minInsyncReplicasSet: [],
  };
  const existing = topics.filter((t) => before.has(t));
  if (existing.length === 0) return changes;
  await withAdmin(kafka, async (admin) => {
    const metadata = await admin.metadata({ topics: existing });
    const grow = existing.flatMap((topic) => {
      const from = metadata.topics.get(topic)?.partitionsCount ?? 0;
      const to = settings.partitions ?? topicPartitions[topic];
      return from < to ? [{ topic, from, to }] : [];
    });
    if (grow.length > 0) {
      await admin.createPartitions({ topics: grow.map(({ topic, to }) => ({ name: topic, count: to })) });
      changes.grown = grow;
    }
    const configs = await admin.describeConfigs({
      resources: existing.map((resourceName) => ({
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName,
        configurationKeys: ['min.insync.replicas'],
      })),
    });
    const wantedIsr = String(settings.minInsyncReplicas);
    const differing = configs
      .filter((r) => r.configs.find((c) => c.name === 'min.insync.replicas')?.value !== wantedIsr)
      .map((r) => r.resourceName);
    if (differing.length > 0) {
      await admin.incrementalAlterConfigs({
        resources: differing.map((resourceName) => ({
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName,
          configs: [
            {
              name: 'min.insync.replicas',
              configOperation: IncrementalAlterConfigOperationTypes.SET,
              value: wantedIsr,
            },
          ],
        })),
      });
      changes.minInsyncReplicasSet = differing;
    }
  });
  return changes;
}
