import { z } from 'zod';
import { vanSyncMessageEnv } from '@call-sync/core';
import { envGroups, envVars, parseEnv } from '@call-sync/platform';

/**
 * The extractor's variables: the outside APIs' and the platform's named once in `envVars`, the
 * van-sync message size beside the message, and those only the extractor reads here.
 */
const extractorEnv = {
  ...envGroups.airtable,
  ...envGroups.van,
  ...envGroups.livevox,
  ...vanSyncMessageEnv,
  METRICS_FINAL_SCRAPE_WAIT_MS: envVars.METRICS_FINAL_SCRAPE_WAIT_MS,
  /**
   * Candidates whose large claims (5,000-call batches, at most two in memory each) and Livevox
   * pulls run at once: what bounds the extractor's memory. Every candidate's run starts, and
   * hands its writer its first calls, without waiting for these (extract-runs.ts).
   */
  EXTRACT_CANDIDATES_AT_ONCE: z.coerce.number().int().min(1).max(64).default(4),
  /**
   * A live run with no progress for this long is resumed; one that has not moved for this long
   * since its resume is failed.
   */
  RUN_STALL_AFTER_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(30 * 60_000),
  /** How many missed nights a scheduled run catches up at most. */
  CATCH_UP_MAX_DAYS: z.coerce.number().int().min(0).default(3),
  /**
   * A continuous candidate's call is claimed and posted once it finished this long ago, so the
   * dialer's final result is in; the day also closes this long after its Sync Time.
   */
  CONTINUOUS_SETTLE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(5 * 60_000),
  /** Calls older than this move to `calls_archive`. */
  ARCHIVE_AFTER_DAYS: z.coerce.number().int().positive().default(90),
  /** Where run alerts (a run failed or stalled) are posted besides the metric. */
  ALERT_WEBHOOK_URL: z.string().url().optional(),
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
