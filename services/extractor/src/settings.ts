import { envGroups, envVars, parseEnv } from '@call-sync/platform';

/** The extractor's variables, all named once in the platform's `envVars`. */
const extractorEnv = {
  ...envGroups.airtable,
  ...envGroups.van,
  ...envGroups.livevox,
  VAN_SYNC_BATCH_SIZE: envVars.VAN_SYNC_BATCH_SIZE,
  EXTRACT_CANDIDATES_AT_ONCE: envVars.EXTRACT_CANDIDATES_AT_ONCE,
  RUN_STALL_AFTER_MS: envVars.RUN_STALL_AFTER_MS,
  CATCH_UP_MAX_DAYS: envVars.CATCH_UP_MAX_DAYS,
  CONTINUOUS_SETTLE_MS: envVars.CONTINUOUS_SETTLE_MS,
  ARCHIVE_AFTER_DAYS: envVars.ARCHIVE_AFTER_DAYS,
  ALERT_WEBHOOK_URL: envVars.ALERT_WEBHOOK_URL,
  METRICS_FINAL_SCRAPE_WAIT_MS: envVars.METRICS_FINAL_SCRAPE_WAIT_MS,
};

export type ExtractorSettings = ReturnType<typeof loadExtractorSettings>;

export function loadExtractorSettings(source: Record<string, string | undefined> = process.env) {
  return parseEnv(extractorEnv, source);
}
