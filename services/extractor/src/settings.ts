import { z } from 'zod';
import { envGroups, envVars, parseEnv } from '@call-sync/platform';

/**
 * The extractor's variables: the shared ones named once in the platform's `envVars`, the one only
 * the extractor reads defined here.
 */
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
  /**
   * How old the config service's copy of the result tables may be for a run to use it instead of
   * reading each table from Airtable (5 a second per base: 8 s for forty candidates); 0 always
   * reads Airtable. The listing itself is always read fresh.
   */
  CONFIG_COPY_MAX_AGE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(10 * 60_000),
};

export type ExtractorSettings = ReturnType<typeof loadExtractorSettings>;

export function loadExtractorSettings(source: Record<string, string | undefined> = process.env) {
  return parseEnv(extractorEnv, source);
}
