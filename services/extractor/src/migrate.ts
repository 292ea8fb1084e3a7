import {
  commonEnv,
  connectMongo,
  createKafka,
  createLogger,
  kafkaSecurity,
  parseEnv,
  reconcileIndexes,
  reconcileTopics,
  Topics,
} from '@call-sync/platform';

/**
 * `extractor migrate`: brings the cluster's topics and the database's indexes to what this
 * version expects (created, partitions grown, indexes added and dropped), then exits. The chart
 * runs it as a pre-install / pre-upgrade hook, so the services themselves need no admin rights.
 * It reads only MongoDB's and Kafka's variables: it runs before the release's other objects exist.
 */
export async function migrate(source: Record<string, string | undefined> = process.env): Promise<void> {
  const env = parseEnv(commonEnv, source);
  const logger = createLogger('extractor-migrate', env.LOG_LEVEL);
  const mongo = await connectMongo(env.MONGODB_URL, env.MONGODB_DATABASE);
  try {
    const indexes = await reconcileIndexes(mongo.db);
    logger.info(indexes, 'indexes reconciled');
  } finally {
    await mongo.close();
  }
  const { kafka } = createKafka(
    env.KAFKA_CLIENT_ID ?? 'callsync-migrate',
    env.KAFKA_BROKERS,
    logger,
    kafkaSecurity(env),
  );
  const topics = await reconcileTopics(kafka, Object.values(Topics), {
    partitions: env.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: env.KAFKA_REPLICATION_FACTOR,
    minInsyncReplicas: env.KAFKA_MIN_INSYNC_REPLICAS,
  });
  logger.info(topics, 'topics reconciled');
}
