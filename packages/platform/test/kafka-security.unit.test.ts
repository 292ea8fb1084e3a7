import { EnvError, envVars, kafkaSecurity, parseEnv } from '@call-sync/platform';

// What a managed Kafka needs (TLS, SASL) comes from the environment the chart sets.
const securityEnv = {
  KAFKA_SSL: envVars.KAFKA_SSL,
  KAFKA_SASL_MECHANISM: envVars.KAFKA_SASL_MECHANISM,
  KAFKA_SASL_USERNAME: envVars.KAFKA_SASL_USERNAME,
  KAFKA_SASL_PASSWORD: envVars.KAFKA_SASL_PASSWORD,
};
const fromEnv = (source: Record<string, string>) => kafkaSecurity(parseEnv(securityEnv, source));

test.each([
  ['nothing set: plaintext, no SASL', {}, {}],
  ['KAFKA_SSL=true: TLS', { KAFKA_SSL: 'true' }, { ssl: true }],
  [
    'SCRAM over TLS',
    {
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'call-sync',
      KAFKA_SASL_PASSWORD: 'p4ss',
    },
    { ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'call-sync', password: 'p4ss' } },
  ],
  [
    'PLAIN without TLS',
    { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' },
    { sasl: { mechanism: 'plain', username: 'u', password: 'p' } },
  ],
])('%s', (_name, source, expected) => {
  expect(fromEnv(source)).toEqual(expected);
});

test.each([
  ['a mechanism without a password', { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' }],
  ['credentials without a mechanism', { KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'hunter2' }],
])('%s stops the start with a configuration error that does not echo the password', (_name, source) => {
  let error: unknown;
  try {
    fromEnv(source);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(EnvError);
  expect((error as Error).message).toMatch(/KAFKA_SASL_MECHANISM/);
  expect((error as Error).message).not.toContain('hunter2');
});

test('an unknown SASL mechanism is refused by name', () => {
  expect(() => fromEnv({ KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(/KAFKA_SASL_MECHANISM/);
});
