import { z } from 'zod';
import { envVars, parseEnv } from '@call-sync/platform';

/** The csv-writer's own variables (S3 ones are read by the platform bootstrap). */
const csvWriterEnv = {
  KAFKA_CONSUMER_GROUP: envVars.KAFKA_CONSUMER_GROUP,
  /** Optional caller directory (JSON list of {login, email, phone, from}) for the caller file. */
  CALLER_DIRECTORY_URL: z.string().url().optional(),
};

export function loadCsvWriterSettings(source: Record<string, string | undefined> = process.env) {
  return parseEnv(csvWriterEnv, source);
}
