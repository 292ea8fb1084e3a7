import { envVars, parseEnv } from '@call-sync/platform';

/** The extractor's variables, all named once in the platform's `envVars`. */
const extractorEnv = {
  AIRTABLE_API_KEY: envVars.AIRTABLE_API_KEY,
  AIRTABLE_BASE_ID: envVars.AIRTABLE_BASE_ID,
  AIRTABLE_ENDPOINT_URL: envVars.AIRTABLE_ENDPOINT_URL,
  AIRTABLE_LISTING_TABLE: envVars.AIRTABLE_LISTING_TABLE,
  AIRTABLE_TERM_CODES_TABLE: envVars.AIRTABLE_TERM_CODES_TABLE,
  VAN_API_URL: envVars.VAN_API_URL,
  VAN_APPLICATION_NAME: envVars.VAN_APPLICATION_NAME,
  VAN_RATE_PER_SECOND: envVars.VAN_RATE_PER_SECOND,
  VAN_DAILY_BUDGET: envVars.VAN_DAILY_BUDGET,
  VAN_TIMEOUT_MS: envVars.VAN_TIMEOUT_MS,
  VAN_SYNC_BATCH_SIZE: envVars.VAN_SYNC_BATCH_SIZE,
  LIVEVOX_API_URL: envVars.LIVEVOX_API_URL,
  LIVEVOX_USER_NAME: envVars.LIVEVOX_USER_NAME,
  LIVEVOX_PASSWORD: envVars.LIVEVOX_PASSWORD,
  LIVEVOX_CLIENT_NAME: envVars.LIVEVOX_CLIENT_NAME,
  RUN_STALL_AFTER_MS: envVars.RUN_STALL_AFTER_MS,
  CATCH_UP_MAX_DAYS: envVars.CATCH_UP_MAX_DAYS,
  ARCHIVE_AFTER_DAYS: envVars.ARCHIVE_AFTER_DAYS,
  ALERT_WEBHOOK_URL: envVars.ALERT_WEBHOOK_URL,
};

export type ExtractorSettings = ReturnType<typeof loadExtractorSettings>;

export function loadExtractorSettings(source: Record<string, string | undefined> = process.env) {
  return parseEnv(extractorEnv, source);
}
