import { envVars, parseEnv } from '@call-sync/platform';

/** The van-writer's variables, all named once in the platform's `envVars`. */
const vanWriterEnv = {
  AIRTABLE_API_KEY: envVars.AIRTABLE_API_KEY,
  AIRTABLE_BASE_ID: envVars.AIRTABLE_BASE_ID,
  AIRTABLE_ENDPOINT_URL: envVars.AIRTABLE_ENDPOINT_URL,
  AIRTABLE_LISTING_TABLE: envVars.AIRTABLE_LISTING_TABLE,
  AIRTABLE_TERM_CODES_TABLE: envVars.AIRTABLE_TERM_CODES_TABLE,
  CONFIG_REFRESH_INTERVAL_MS: envVars.CONFIG_REFRESH_INTERVAL_MS,
  VAN_API_URL: envVars.VAN_API_URL,
  VAN_APPLICATION_NAME: envVars.VAN_APPLICATION_NAME,
  VAN_RATE_PER_SECOND: envVars.VAN_RATE_PER_SECOND,
  VAN_DAILY_BUDGET: envVars.VAN_DAILY_BUDGET,
  VAN_TIMEOUT_MS: envVars.VAN_TIMEOUT_MS,
  VAN_WRITER_CONCURRENCY: envVars.VAN_WRITER_CONCURRENCY,
  KAFKA_CONSUMER_GROUP: envVars.KAFKA_CONSUMER_GROUP,
};

export type VanWriterSettings = ReturnType<typeof loadVanWriterSettings>;

export function loadVanWriterSettings(source: Record<string, string | undefined> = process.env) {
  return parseEnv(vanWriterEnv, source);
}
