import { randomBytes } from 'node:crypto';

/** The servers global set-up pointed us at; a test fails loudly when one is missing. */
export function serverEnv(): {
  kafkaBrokers: string[];
  mongoUrl: string;
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
} {
  const missing = [
    'KAFKA_BROKERS',
    'MONGODB_URL',
    'S3_ENDPOINT',
    'S3_ACCESS_KEY_ID',
    'S3_SECRET_ACCESS_KEY',
  ].filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new Error(
      `integration tests need real servers; not set: ${missing.join(', ')} (see README "Tests")`,
    );
  }
  const env = process.env as Record<string, string>;
  return {
    kafkaBrokers: env.KAFKA_BROKERS!.split(','),
    mongoUrl: env.MONGODB_URL!,
    s3: {
      endpoint: env.S3_ENDPOINT!,
      region: env.S3_REGION ?? 'us-east-1',
      accessKeyId: env.S3_ACCESS_KEY_ID!,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY!,
    },
  };
}

/** A name no other test (or earlier run) uses: each test makes its own data. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
