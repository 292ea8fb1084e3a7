export * from './topics';
export * from './client';
export * from './messaging';
export * from './consumer-lag';
export * from './consumer-groups';
