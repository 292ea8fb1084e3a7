export * from './consumer-groups';
export * from './seed';
export * from './servers';
export * from './service-process';
export * from './wait';
