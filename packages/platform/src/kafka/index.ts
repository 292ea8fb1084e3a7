export * from './topics';
export * from './client';
export * from './messaging';
