import { envVars, parseEnv } from '@call-sync/platform';

/** The csv-writer's own variables (S3 ones are read by the platform bootstrap). */
const csvWriterEnv = {
  KAFKA_CONSUMER_GROUP: envVars.KAFKA_CONSUMER_GROUP,
  CALLER_DIRECTORY_URL: envVars.CALLER_DIRECTORY_URL,
};

export function loadCsvWriterSettings(source: Record<string, string | undefined> = process.env) {
  return parseEnv(csvWriterEnv, source);
}
