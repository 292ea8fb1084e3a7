import { z } from 'zod';
import { bulkImportJobEnv } from '@call-sync/integrations';
import { envGroups, envVars, parseEnv } from '@call-sync/platform';
import { apiTokensEnv } from './api-tokens';
import { DEFAULT_TRUSTED_PROXIES, parseTrustedProxies } from './http/trusted-proxies';

/** Minutes, fractions allowed (0.05 is 3 seconds): a test waits seconds, not a quarter of an hour. */
const minutes = (max: number, fallback: number) => z.coerce.number().positive().max(max).default(fallback);

/**
 * The config service's variables. The outside APIs' and the platform's come from `envVars` (named
 * once for every service); those only this service reads are defined here and in api-tokens.ts.
 */
const configServiceEnv = {
  ...envGroups.airtable,
  ...envGroups.van,
  CONFIG_REFRESH_INTERVAL_MS: envVars.CONFIG_REFRESH_INTERVAL_MS,
  ...apiTokensEnv,
  /**
   * Signs the config service's sign-in sessions (a secret). Shared by every replica and kept
   * across restarts; unset, each process signs with its own random secret.
   */
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  REPORT_WEBHOOK_URL: z.string().url().optional(),
  /** The van-writer's split of a bulk run into jobs, which a dry run counts the same way. */
  ...bulkImportJobEnv,
  /** How long a candidate's VAN metadata is reused by configure/validate/dry runs. */
  VAN_METADATA_CACHE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(5 * 60_000),
  /** How long validate reuses a district's count of recent calls carrying a phone id. */
  PHONE_ID_SHARE_CACHE_MS: z.coerce.number().int().min(0).default(60_000),
  /** How often undelivered reports are tried again. */
  REPORT_RETRY_INTERVAL_MS: z.coerce.number().int().positive().default(60_000),
  /** Consumer group of the run-events consumer that sends the reports (tests isolate with their own). */
  KAFKA_CONSUMER_GROUP: envVars.KAFKA_CONSUMER_GROUP.default('callsync-config-reports'),
  /** Where a person opens a voter in VAN from the outcome-unknown worklist; `{vanId}` is replaced. */
  VAN_PERSON_URL: z
    .string()
    .url()
    .refine((url) => url.includes('{vanId}'), {
      message: 'must contain {vanId}',
    })
    .default('https://www.votebuilder.com/ContactsDetails.aspx?VanID={vanId}'),
  /**
   * Peers whose X-Forwarded-For, -Proto and -Host are believed: comma-separated CIDRs or addresses,
   * or `none`. From any other peer the socket's own address and protocol count.
   */
  TRUSTED_PROXIES: z
    .string()
    .default(DEFAULT_TRUSTED_PROXIES)
    .transform((value, ctx) => {
      const { proxies, problems } = parseTrustedProxies(value);
      for (const message of problems) ctx.addIssue({ code: 'custom', message });
      return proxies;
    }),
  /** A browser's session ends after this many minutes without a request (within its 12 hours). */
  SESSION_IDLE_MINUTES: minutes(12 * 60, 30),
  /** Wrong tokens one client may show (sign-in form or bearer header) within the window below. */
  SIGN_IN_MAX_FAILURES_PER_CLIENT: z.coerce.number().int().min(1).default(10),
  /**
   * Wrong tokens from every client together within the window. A wrong token is tried against
   * every token name at once, so this is each name's count; past it, a client with a wrong token
   * in its own window is refused too, one without is still checked.
   */
  SIGN_IN_MAX_FAILURES_PER_TOKEN_NAME: z.coerce.number().int().min(1).default(25),
  /** How long wrong tokens are counted, from the first: a refused client waits for its end. */
  SIGN_IN_WINDOW_MINUTES: minutes(24 * 60, 15),
  /** Largest call-export upload accepted by POST /calls/import. */
  IMPORT_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024 * 1024),
};

export type ConfigSettings = ReturnType<typeof loadConfigSettings>;

export function loadConfigSettings(source: Record<string, string | undefined> = process.env) {
  return parseEnv(configServiceEnv, source);
}
