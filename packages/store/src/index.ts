export * from './calls-repository';
export * from './runs-repository';
export * from './run-lifecycle';
export * from './van-request-budget';
export * from './pipeline-metrics';
export * from './job-runs-repository';
export * from './bulk-import-runs';
