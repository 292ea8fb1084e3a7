export * from './fixture';
export * from './running-server';
export * from './van-canvass-rules';
export * from './van-sandbox';
export * from './airtable-sandbox';
export * from './livevox-sandbox';
export * from './seeded-random';
export * from './seed';
