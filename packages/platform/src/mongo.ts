import { MongoClient, type Db, type IndexDescription } from 'mongodb';

/** Collection names, defined once. */
export const Collections = {
  Calls: 'calls',
  CallsArchive: 'calls_archive',
  Runs: 'runs',
  Reports: 'reports',
  ConfigCache: 'config_cache',
  Imports: 'imports',
  /** One document per extractor command: when it last ran, how it ended. */
  JobRuns: 'job_runs',
  /** VAN requests spent per API key (fingerprint) and Eastern day, shared by every writer. */
  VanBudgets: 'van_budgets',
} as const;

/**
 * The indexes the pipeline relies on. `calls.id` is unique so a re-import upserts instead of
 * duplicating; the compound index serves the extractor's window scan; the partial unique index
 * on runs allows one scheduled run per candidate per day.
 * Only features that real MongoDB 7/8 and the local MongoDB-wire server both support are used.
 */
export const indexes: Record<string, IndexDescription[]> = {
  [Collections.Calls]: [
    { key: { id: 1 }, name: 'id_unique', unique: true },
    { key: { district: 1, timestamp: 1 }, name: 'district_timestamp' },
    { key: { run_id: 1, sync_status: 1 }, name: 'run_status' },
    { key: { client: 1, timestamp: 1 }, name: 'client_timestamp' },
  ],
  [Collections.CallsArchive]: [{ key: { id: 1 }, name: 'id_unique', unique: true }],
  [Collections.Runs]: [
    { key: { scheduleKey: 1 }, name: 'schedule_key_unique', unique: true, sparse: true },
    { key: { candidate: 1, createdAt: -1 }, name: 'candidate_created' },
    { key: { state: 1 }, name: 'state' },
  ],
  [Collections.Reports]: [{ key: { candidate: 1, createdAt: -1 }, name: 'candidate_created' }],
};

export interface MongoConnection {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

export async function connectMongo(url: string, database: string): Promise<MongoConnection> {
  // Retryable writes and read/write concerns come from the connection string, as operators of
  // a replica set expect. The local wire server is a standalone without sessions, where the
  // driver retries nothing anyway.
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 });
  await client.connect();
  const db = client.db(database);
  return { client, db, close: () => client.close() };
}

export async function ensureIndexes(db: Db): Promise<void> {
  for (const [collection, specs] of Object.entries(indexes)) {
    if (specs.length > 0) await db.collection(collection).createIndexes(specs);
  }
}

export async function pingMongo(db: Db): Promise<void> {
  await db.command({ ping: 1 });
}
