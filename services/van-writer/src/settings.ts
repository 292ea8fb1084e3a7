import { z } from 'zod';
import { envGroups, envVars, parseEnv } from '@call-sync/platform';

/** The van-writer's variables: the outside APIs' and the platform's named once in `envVars`, its own here. */
const vanWriterEnv = {
  ...envGroups.airtable,
  ...envGroups.van,
  CONFIG_REFRESH_INTERVAL_MS: envVars.CONFIG_REFRESH_INTERVAL_MS,
  /**
   * Most VAN posts in flight per key in a van-writer. Below it the window follows the key's rate ×
   * observed latency (Little's law); it also bounds the calls a crash can leave "outcome unknown".
   */
  VAN_WRITER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(128),
  /** Partitions of callsync.van-sync a van-writer works at once; unset, the topic's partition count. */
  VAN_WRITER_PARTITIONS_AT_ONCE: z.coerce.number().int().min(1).optional(),
  KAFKA_TOPIC_PARTITIONS: envVars.KAFKA_TOPIC_PARTITIONS,
  KAFKA_CONSUMER_GROUP: envVars.KAFKA_CONSUMER_GROUP,
};

export type VanWriterSettings = ReturnType<typeof loadVanWriterSettings>;

export function loadVanWriterSettings(source: Record<string, string | undefined> = process.env) {
  return parseEnv(vanWriterEnv, source);
}
