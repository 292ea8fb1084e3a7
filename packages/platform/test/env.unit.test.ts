import { envVars, EnvError, parseEnv } from '@call-sync/platform';

const shape = {
  MONGODB_URL: envVars.MONGODB_URL,
  KAFKA_BROKERS: envVars.KAFKA_BROKERS,
  PORT: envVars.PORT.default(8080),
};

test('valid variables are parsed into typed values', () => {
  expect(parseEnv(shape, { MONGODB_URL: 'mongodb://db:27017', KAFKA_BROKERS: 'k1:9092, k2:9092' })).toEqual({
    MONGODB_URL: 'mongodb://db:27017',
    KAFKA_BROKERS: ['k1:9092', 'k2:9092'],
    PORT: 8080,
  });
});

test('every missing or malformed variable is named, and no value is echoed', () => {
  let caught: unknown;
  try {
    parseEnv(shape, { MONGODB_URL: 'https://token:s3cr3t@db', PORT: 'eighty' });
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(EnvError);
  const problems = (caught as EnvError).problems;
  expect(problems).toEqual(
    expect.arrayContaining([
      'MONGODB_URL: must be a mongodb:// or mongodb+srv:// URL',
      'KAFKA_BROKERS is required but not set',
      expect.stringMatching(/^PORT: /),
    ]),
  );
  expect((caught as Error).message).not.toContain('s3cr3t');
});

test('an empty variable counts as unset, so defaults apply', () => {
  expect(parseEnv({ PORT: envVars.PORT.default(9000) }, { PORT: '' })).toEqual({ PORT: 9000 });
});
