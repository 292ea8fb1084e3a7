import { z } from 'zod';

/**
 * Environment variables, validated once at start-up. A missing or malformed variable stops the
 * process with a message that names it; values are never echoed, since many of them are secrets.
 */
export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EnvError';
  }
}

const booleanFromString = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Variable schemas shared by every service, so each variable is named and checked one way. */
export const envVars = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: z.coerce.number().int().min(0).max(65535),
  /** When set, `/metrics` moves off PORT to this port, which an ingress never routes to. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  MONGODB_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URL'),
  MONGODB_DATABASE: z.string().min(1).default('callsync'),
  KAFKA_BROKERS: z
    .string()
    .min(1)
    .transform((v) => v.split(',').map((b) => b.trim()))
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'each broker must be host:port')).min(1)),
  KAFKA_CLIENT_ID: z.string().min(1).optional(),
  /**
   * Create the missing topics and indexes when a service starts. The chart turns it off and runs
   * `extractor migrate` as a Helm hook instead, so services need only read/write rights.
   */
  ENSURE_SCHEMA_AT_START: booleanFromString.default(true),
  /** Partitions of each topic the services create; unset, each topic's own default. */
  KAFKA_TOPIC_PARTITIONS: z.coerce.number().int().min(1).optional(),
  /** Copies of each topic the services create: 1 on the local broker, 3 on a production cluster. */
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).default(1),
  /** Copies that must have a message before the producer (acks=all) hears it is sent. */
  KAFKA_MIN_INSYNC_REPLICAS: z.coerce.number().int().min(1).default(1),
  /** TLS to the brokers (managed clusters); SASL below authenticates over it. */
  KAFKA_SSL: booleanFromString.default(false),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  /** A secret: read here, never logged. */
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  S3_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z.string().min(3).default('callsync-exports'),
  S3_FORCE_PATH_STYLE: booleanFromString.default(true),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /**
   * The bucket's endpoint as outside services reach it (VAN downloads Bulk Import files through
   * presigned links signed for this host); unset, S3_ENDPOINT.
   */
  S3_PUBLIC_ENDPOINT: z.string().url().optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(20_000),

  // Outside APIs. Keys and passwords are secrets: read here, never logged.
  AIRTABLE_API_KEY: z.string().min(1),
  AIRTABLE_BASE_ID: z.string().min(1),
  /** Airtable's API root; the sandbox's URL locally. */
  AIRTABLE_ENDPOINT_URL: z.string().url().default('https://api.airtable.com'),
  AIRTABLE_LISTING_TABLE: z.string().min(1).default('Listing'),
  AIRTABLE_TERM_CODES_TABLE: z.string().min(1).default('Term Codes'),
  /** How often the configuration cache is refreshed from Airtable. */
  CONFIG_REFRESH_INTERVAL_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(5 * 60_000),
  VAN_API_URL: z.string().url().default('https://api.securevan.com'),
  /** The application name VAN issued with the keys (basic-auth user). */
  VAN_APPLICATION_NAME: z.string().min(1),
  /** Requests per second per API key (15 is VAN's common profile). */
  VAN_RATE_PER_SECOND: z.coerce.number().positive().default(15),
  /** VAN requests per API key per Eastern day; beyond it calls wait for the next day. */
  VAN_DAILY_BUDGET: z.coerce.number().int().positive().default(1000),
  VAN_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  LIVEVOX_API_URL: z.string().url().optional(),
  LIVEVOX_USER_NAME: z.string().min(1).optional(),
  LIVEVOX_PASSWORD: z.string().min(1).optional(),
  LIVEVOX_CLIENT_NAME: z.string().min(1).optional(),
  /** The call-detail field that holds VAN's phone id of the dialed number (sent as phoneId). */
  LIVEVOX_PHONE_ID_FIELD: z.string().min(1).default('phone_id'),
  // The sync pipeline (extractor, van-writer, csv-writer).
  /** Consumer group of a service; `callsync-<service>` when unset (tests isolate with their own). */
  KAFKA_CONSUMER_GROUP: z.string().min(1).optional(),
  /**
   * A one-shot command waits up to this long after its work for one more scrape of `/metrics`,
   * so a Prometheus that scrapes its pod sees its final numbers; 0 ends at once.
   */
  METRICS_FINAL_SCRAPE_WAIT_MS: z.coerce.number().int().min(0).default(0),
} as const;

/** Variables that travel together: a service that talks to one outside API reads its whole group. */
export const envGroups = {
  airtable: {
    AIRTABLE_API_KEY: envVars.AIRTABLE_API_KEY,
    AIRTABLE_BASE_ID: envVars.AIRTABLE_BASE_ID,
    AIRTABLE_ENDPOINT_URL: envVars.AIRTABLE_ENDPOINT_URL,
    AIRTABLE_LISTING_TABLE: envVars.AIRTABLE_LISTING_TABLE,
    AIRTABLE_TERM_CODES_TABLE: envVars.AIRTABLE_TERM_CODES_TABLE,
  },
  van: {
    VAN_API_URL: envVars.VAN_API_URL,
    VAN_APPLICATION_NAME: envVars.VAN_APPLICATION_NAME,
    VAN_RATE_PER_SECOND: envVars.VAN_RATE_PER_SECOND,
    VAN_DAILY_BUDGET: envVars.VAN_DAILY_BUDGET,
    VAN_TIMEOUT_MS: envVars.VAN_TIMEOUT_MS,
  },
  livevox: {
    LIVEVOX_API_URL: envVars.LIVEVOX_API_URL,
    LIVEVOX_USER_NAME: envVars.LIVEVOX_USER_NAME,
    LIVEVOX_PASSWORD: envVars.LIVEVOX_PASSWORD,
    LIVEVOX_CLIENT_NAME: envVars.LIVEVOX_CLIENT_NAME,
    LIVEVOX_PHONE_ID_FIELD: envVars.LIVEVOX_PHONE_ID_FIELD,
  },
} as const;

/** Parses `source` against `shape`; throws EnvError naming every bad variable (never its value). */
export function parseEnv<S extends z.ZodRawShape>(
  shape: S,
  source: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<S>> {
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) {
    const value = source[key];
    picked[key] = value === '' ? undefined : value;
  }
  const result = z.object(shape).safeParse(picked);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const missing = picked[String(issue.path[0])] === undefined;
      return missing ? `${name} is required but not set` : `${name}: ${issue.message}`;
    });
    throw new EnvError(problems);
  }
  return result.data;
}
