import { appendFileSync } from 'node:fs';
import { MongoClient, type Db, type IndexDescription } from 'mongodb';
import { Collections } from './collection-names';
import { queryShapes } from './query-plan';

/**
 * Every index the services rely on, in one list: each query the code sends must be served by one
 * of these (equality fields, then the sort, then ranges), which the test run checks query by query
 * (query-plan.ts, scripts/check-query-indexes.mjs). `calls.id` is unique so a re-import upserts
 * instead of duplicating; the partial unique index on runs allows one scheduled run per candidate
 * per day. Only features that real MongoDB 7/8 and the local MongoDB-wire server both support.
 * Names are new whenever keys change: createIndexes refuses a known name with other keys.
 */
export const indexes: Record<string, IndexDescription[]> = {
  [Collections.Calls]: [
    { key: { id: 1 }, name: 'id_unique', unique: true },
    // The van-writer's batched compare-and-sets name exactly these fields; the local MongoDB-wire
    // server serves a filter only from an index with exactly its fields (and ignores non-unique
    // ones), so without it each mark and outcome scanned every call. Unique because id is.
    {
      key: { id: 1, run_id: 1, sync_status: 1, posting_request_id: 1 },
      name: 'id_run_status_request',
      unique: true,
    },
    // The extractor's window scan (oldest first), config's reset and unsynced counts.
    { key: { district: 1, sync_status: 1, timestamp: 1, id: 1 }, name: 'district_status_time' },
    // A run's calls by status, oldest first: the CSV export's cursor, counts, the resume.
    { key: { run_id: 1, sync_status: 1, timestamp: 1, id: 1 }, name: 'run_status_time' },
    { key: { client: 1, timestamp: 1 }, name: 'client_timestamp' },
    { key: { service_name: 1, timestamp: 1 }, name: 'service_timestamp' },
    // The archive job walks calls by age.
    { key: { timestamp: 1 }, name: 'timestamp' },
    { key: { outcome_unknown: 1 }, name: 'outcome_unknown', sparse: true },
    // A call's journey: a person looks a call up by the voter, the number dialed or the account.
    { key: { voter_id: 1, timestamp: -1 }, name: 'voter_time' },
    { key: { phone_dialed: 1, timestamp: -1 }, name: 'phone_time' },
    { key: { account_number: 1, timestamp: -1 }, name: 'account_time' },
  ],
  [Collections.CallsArchive]: [
    { key: { id: 1 }, name: 'id_unique', unique: true },
    // Calls archived before the archive kept unsettled ones back, still to resolve or return.
    { key: { outcome_unknown: 1 }, name: 'outcome_unknown', sparse: true },
  ],
  [Collections.Runs]: [
    { key: { scheduleKey: 1 }, name: 'schedule_key_unique', unique: true, sparse: true },
    { key: { candidate: 1, openedAt: -1 }, name: 'candidate_opened' },
    { key: { state: 1, openedAt: 1 }, name: 'state_opened' },
    { key: { openedAt: -1 }, name: 'opened' },
    { key: { candidate: 1, state: 1, dryRun: 1, 'window.end': -1 }, name: 'candidate_completed_end' },
    { key: { candidate: 1, trigger: 1, scheduledDay: -1 }, name: 'candidate_trigger_day' },
    { key: { finalEventPending: 1, finishedAt: 1 }, name: 'final_event_pending', sparse: true },
  ],
  [Collections.Reports]: [
    { key: { candidate: 1, createdAt: -1 }, name: 'candidate_created' },
    { key: { createdAt: -1 }, name: 'created' },
    // The delivery retry queue: reports whose webhook is due again.
    { key: { 'delivery.status': 1, 'delivery.nextAttemptAt': 1 }, name: 'delivery_due' },
  ],
  [Collections.Imports]: [{ key: { startedAt: -1 }, name: 'started' }],
  [Collections.VanBudgets]: [{ key: { day: 1 }, name: 'day' }],
  // The audit page: newest first, for every candidate or one.
  [Collections.Audit]: [
    { key: { at: -1 }, name: 'at' },
    { key: { candidate: 1, at: -1 }, name: 'candidate_at' },
  ],
  // Both are read by _id only. Their TTL indexes only clear away what has ended: MongoDB's TTL
  // monitor runs once a minute and the MongoDB-wire server accepts the option but never deletes, so
  // every read also checks the document's own end.
  [Collections.Sessions]: [{ key: { expiresAt: 1 }, name: 'expires_ttl', expireAfterSeconds: 0 }],
  [Collections.SignInFailures]: [{ key: { until: 1 }, name: 'until_ttl', expireAfterSeconds: 0 }],
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
  const queryLog = process.env.CALL_SYNC_QUERY_LOG;
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000, monitorCommands: !!queryLog });
  if (queryLog) recordQueryShapes(client, queryLog);
  await client.connect();
  const db = client.db(database);
  return { client, db, close: () => client.close() };
}

/**
 * Appends the shape of every query this client sends to `file`, once per shape and process: the
 * test run's record of what the code asks of MongoDB, checked against `indexes` afterwards.
 */
function recordQueryShapes(client: MongoClient, file: string): void {
  const seen = new Set<string>();
  client.on('commandStarted', (event) => {
    for (const shape of queryShapes(event.commandName, event.command)) {
      // A read of everything, unsorted, is a deliberate full read (a test's look, a tiny collection).
      if (Object.keys(shape.filter).length === 0 && shape.sort.length === 0) continue;
      const line = JSON.stringify(shape);
      if (seen.has(line)) continue;
      seen.add(line);
      appendFileSync(file, `${line}\n`);
    }
  });
}

export async function ensureIndexes(db: Db): Promise<void> {
  for (const [collection, specs] of Object.entries(indexes)) {
    if (specs.length > 0) await db.collection(collection).createIndexes(specs);
  }
}

/** What a reconciliation changed, by collection, for the migration's log. */
export interface IndexChanges {
  created: string[];
  dropped: string[];
}

/**
 * The migration's view of the indexes: creates each index of `indexes` that is missing and drops
 * the ones no longer listed (an index whose keys changed has a new name, so its old one goes),
 * leaving `_id_` alone. Creating comes first, so a query never lacks both the old and the new.
 */
export async function reconcileIndexes(
  db: Db,
  wanted: Record<string, IndexDescription[]> = indexes,
): Promise<IndexChanges> {
  const changes: IndexChanges = { created: [], dropped: [] };
  const collections = new Set(
    (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name),
  );
  for (const [collection, specs] of Object.entries(wanted)) {
    const existing = collections.has(collection)
      ? new Set((await db.collection(collection).listIndexes().toArray()).map((i) => String(i.name)))
      : new Set<string>();
    if (specs.length > 0) await db.collection(collection).createIndexes(specs);
    const names = new Set(specs.map((spec) => spec.name));
    for (const name of names) if (name && !existing.has(name)) changes.created.push(`${collection}.${name}`);
    for (const name of existing) {
      if (name === '_id_' || names.has(name)) continue;
      await db.collection(collection).dropIndex(name);
      changes.dropped.push(`${collection}.${name}`);
    }
  }
  return changes;
}

export async function pingMongo(db: Db): Promise<void> {
  await db.command({ ping: 1 });
}
