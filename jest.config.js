// One jest run for the monorepo. Tests import workspace packages from source (no build needed),
// and are transpiled by swc; type checking is `npm run typecheck`'s job.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/services', '<rootDir>/sandbox', '<rootDir>/test'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
    // @platformatic/kafka and its own packages ship ES modules only, which jest's require cannot load.
    '/node_modules/@platformatic/.+\\.js$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'ecmascript' } }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!@platformatic/)'],
  moduleNameMapper: {
    '^@call-sync/(core|platform|integrations|store)$': '<rootDir>/packages/$1/src',
    '^@call-sync/sandbox$': '<rootDir>/sandbox/src',
    '^@call-sync/testkit$': '<rootDir>/testkit/src',
  },
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  testTimeout: 60000,
  maxWorkers: 2,
};
