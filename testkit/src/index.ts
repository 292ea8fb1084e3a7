export * from './consumer-groups';
