import { randomBytes } from 'node:crypto';
import { serverVariables } from '@call-sync/testkit';

/** The servers global set-up pointed us at; a test fails loudly when one is missing. */
export function serverEnv(): {
  kafkaBrokers: string[];
  mongoUrl: string;
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
} {
  const servers = serverVariables('integration tests need real servers (see README "Tests")');
  return {
    kafkaBrokers: servers.KAFKA_BROKERS.split(','),
    mongoUrl: servers.MONGODB_URL,
    s3: {
      endpoint: servers.S3_ENDPOINT,
      region: servers.S3_REGION,
      accessKeyId: servers.S3_ACCESS_KEY_ID,
      secretAccessKey: servers.S3_SECRET_ACCESS_KEY,
    },
  };
}

/** A name no other test (or earlier run) uses: each test makes its own data. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/**
 * What a built service needs to start against the real servers, in a database of its own. The
 * outside APIs' variables (config needs them to start) point at port 9, where nothing answers:
 * neither health nor readiness depends on Airtable or VAN.
 */
export function standaloneServiceEnv(prefix: string): Record<string, string> {
  serverEnv();
  const pick = (name: string) => process.env[name] ?? '';
  return {
    MONGODB_URL: pick('MONGODB_URL'),
    MONGODB_DATABASE: uniqueName(prefix),
    KAFKA_BROKERS: pick('KAFKA_BROKERS'),
    S3_ENDPOINT: pick('S3_ENDPOINT'),
    S3_ACCESS_KEY_ID: pick('S3_ACCESS_KEY_ID'),
    S3_SECRET_ACCESS_KEY: pick('S3_SECRET_ACCESS_KEY'),
    S3_BUCKET: `callsync-${prefix}-test`,
    AIRTABLE_API_KEY: 'patServicesTestToken',
    AIRTABLE_BASE_ID: 'appServicesTest',
    AIRTABLE_ENDPOINT_URL: 'http://127.0.0.1:9',
    VAN_API_URL: 'http://127.0.0.1:9',
    VAN_APPLICATION_NAME: 'call-sync-services-test',
    API_TOKENS: 'services-test-token-0123456789',
  };
}
