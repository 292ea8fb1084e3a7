/** The local servers a test or a benchmark runs against, as `bash scripts/infra/infra.sh env` names them. */
export interface ServerVariables {
  MONGODB_URL: string;
  KAFKA_BROKERS: string;
  S3_ENDPOINT: string;
  S3_REGION: string;
  S3_ACCESS_KEY_ID: string;
  S3_SECRET_ACCESS_KEY: string;
}

/**
 * The servers' variables from this process's environment; fails loudly, naming every one missing
 * and `hint` (how to get them), rather than let a client wait on a server that was never given.
 */
export function serverVariables(hint: string): ServerVariables {
  const required = [
    'MONGODB_URL',
    'KAFKA_BROKERS',
    'S3_ENDPOINT',
    'S3_ACCESS_KEY_ID',
    'S3_SECRET_ACCESS_KEY',
  ] as const;
  const missing = required.filter((name) => !process.env[name]);
  if (missing.length > 0) throw new Error(`${missing.join(', ')} not set: ${hint}`);
  const env = process.env as Record<(typeof required)[number], string>;
  return {
    MONGODB_URL: env.MONGODB_URL,
    KAFKA_BROKERS: env.KAFKA_BROKERS,
    S3_ENDPOINT: env.S3_ENDPOINT,
    S3_REGION: process.env.S3_REGION ?? 'us-east-1',
    S3_ACCESS_KEY_ID: env.S3_ACCESS_KEY_ID,
    S3_SECRET_ACCESS_KEY: env.S3_SECRET_ACCESS_KEY,
  };
}
