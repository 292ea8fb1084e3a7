export * from './consumer-groups';
export * from './seed';
export * from './service-process';
export * from './wait';
