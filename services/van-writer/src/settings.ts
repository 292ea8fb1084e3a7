import { envGroups, envVars, parseEnv } from '@call-sync/platform';

/** The van-writer's variables, all named once in the platform's `envVars`. */
const vanWriterEnv = {
  ...envGroups.airtable,
  ...envGroups.van,
  CONFIG_REFRESH_INTERVAL_MS: envVars.CONFIG_REFRESH_INTERVAL_MS,
  VAN_WRITER_CONCURRENCY: envVars.VAN_WRITER_CONCURRENCY,
  VAN_WRITER_PARTITIONS_AT_ONCE: envVars.VAN_WRITER_PARTITIONS_AT_ONCE,
  KAFKA_TOPIC_PARTITIONS: envVars.KAFKA_TOPIC_PARTITIONS,
  KAFKA_CONSUMER_GROUP: envVars.KAFKA_CONSUMER_GROUP,
};

export type VanWriterSettings = ReturnType<typeof loadVanWriterSettings>;

export function loadVanWriterSettings(source: Record<string, string | undefined> = process.env) {
  return parseEnv(vanWriterEnv, source);
}
