import type { Collection, Db } from 'mongodb';
import { connectMongo, ensureIndexes, Collections, type MongoConnection } from '@call-sync/platform';
import { serverEnv, uniqueName } from '../../../test/support/env';

// The operations the pipeline relies on, proven on the MongoDB server the tests run against
// (the local MongoDB-wire server here, real MongoDB where Docker is available).

let connection: MongoConnection;
let db: Db;

beforeAll(async () => {
  connection = await connectMongo(serverEnv().mongoUrl, uniqueName('mongo-test'));
  db = connection.db;
  await ensureIndexes(db);
});

afterAll(async () => {
  await db.dropDatabase();
  await connection.close();
});

interface ClaimDoc {
  id: string;
  sync_status?: string;
  run_id?: string;
}

test('50 concurrent claimers never claim the same call twice', async () => {
  const calls: Collection<ClaimDoc> = db.collection(uniqueName('claims'));
  await calls.insertMany(Array.from({ length: 20 }, (_, i) => ({ id: `call-${i}` })));

  const claimer = async (worker: number): Promise<string[]> => {
    const claimed: string[] = [];
    for (;;) {
      const doc = await calls.findOneAndUpdate(
        { sync_status: { $exists: false } },
        { $set: { sync_status: 'in_progress', run_id: `worker-${worker}` } },
        { returnDocument: 'after' },
      );
      if (!doc) return claimed;
      claimed.push(doc.id);
    }
  };
  const results = await Promise.all(Array.from({ length: 50 }, (_, worker) => claimer(worker)));
  const all = results.flat();

  expect(all).toHaveLength(20);
  expect(new Set(all).size).toBe(20);
  const stored = await calls.find().toArray();
  for (const doc of stored) {
    const owner = results.findIndex((claimed) => claimed.includes(doc.id));
    expect(doc.run_id).toBe(`worker-${owner}`);
  }
});

test('concurrent $inc counters are exact', async () => {
  const runs = db.collection<{ _id: string; finished: number; errors: number }>(uniqueName('counters'));
  await runs.insertOne({ _id: 'run-1', finished: 0, errors: 0 });
  await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      runs.updateOne({ _id: 'run-1' }, { $inc: i % 4 === 0 ? { errors: 1 } : { finished: 1 } }),
    ),
  );
  expect(await runs.findOne({ _id: 'run-1' })).toEqual({ _id: 'run-1', finished: 150, errors: 50 });
});

test('the unique index on calls.id refuses a duplicate', async () => {
  const calls = db.collection(Collections.Calls);
  await calls.insertOne({ id: 'dup-1', district: 'nc05' });
  await expect(calls.insertOne({ id: 'dup-1', district: 'nc05' })).rejects.toMatchObject({ code: 11000 });
  expect(await calls.countDocuments({ id: 'dup-1' })).toBe(1);
});

test('bulkWrite upserts insert new calls and update existing ones without duplicating', async () => {
  const calls = db.collection(Collections.Calls);
  const upserts = (names: string[]) =>
    calls.bulkWrite(
      names.map((id) => ({
        updateOne: { filter: { id }, update: { $set: { id, first_name: id.toUpperCase() } }, upsert: true },
      })),
      { ordered: false },
    );
  const first = await upserts(['u-1', 'u-2', 'u-3']);
  expect(first.upsertedCount).toBe(3);
  const second = await upserts(['u-2', 'u-3', 'u-4']);
  expect(second.upsertedCount).toBe(1);
  expect(second.matchedCount).toBe(2);
  expect(await calls.countDocuments({ id: { $in: ['u-1', 'u-2', 'u-3', 'u-4'] } })).toBe(4);
});

test('$match and $group count calls per status within a date range', async () => {
  const calls = db.collection(uniqueName('group'));
  const day = new Date('2026-11-03T23:00:00Z');
  await calls.insertMany([
    { district: 'nc05', timestamp: day, sync_status: 'finished' },
    { district: 'nc05', timestamp: day, sync_status: 'finished' },
    { district: 'nc05', timestamp: day, sync_status: 'ignored' },
    { district: 'nc05', timestamp: new Date('2026-11-05T00:00:00Z'), sync_status: 'finished' },
    { district: 'ca12', timestamp: day, sync_status: 'finished' },
  ]);
  const counts = await calls
    .aggregate<{ _id: string; n: number }>([
      {
        $match: {
          district: 'nc05',
          timestamp: { $gte: new Date('2026-11-03T05:00:00Z'), $lt: new Date('2026-11-04T05:00:00Z') },
        },
      },
      { $group: { _id: '$sync_status', n: { $sum: 1 } } },
      { $sort: { _id: 1 } },
    ])
    .toArray();
  expect(counts).toEqual([
    { _id: 'finished', n: 2 },
    { _id: 'ignored', n: 1 },
  ]);
});

test('a cursor walks 100k documents in order without loading them at once', async () => {
  const calls = db.collection<{ _id: number; n: number; district: string }>(uniqueName('cursor'));
  const total = 100_000;
  for (let start = 0; start < total; start += 10_000) {
    await calls.insertMany(
      Array.from({ length: 10_000 }, (_, i) => ({ _id: start + i, n: start + i, district: 'nc05' })),
      { ordered: false },
    );
  }
  let seen = 0;
  let sum = 0;
  let previous = -1;
  let ordered = true;
  for await (const doc of calls.find({}, { sort: { _id: 1 }, batchSize: 2000, projection: { n: 1 } })) {
    if (doc.n <= previous) ordered = false;
    previous = doc.n;
    seen += 1;
    sum += doc.n;
  }
  expect(seen).toBe(total);
  expect(ordered).toBe(true);
  expect(sum).toBe((total * (total - 1)) / 2);
});

test('retryable writes follow the connection string, as on a replica set', async () => {
  const url = serverEnv().mongoUrl;
  const separator = url.includes('?') ? '&' : '?';
  const plain = await connectMongo(url, uniqueName('retry-writes'));
  const off = await connectMongo(`${url}${separator}retryWrites=false`, uniqueName('retry-writes'));
  try {
    expect(plain.client.options.retryWrites).toBe(true);
    expect(off.client.options.retryWrites).toBe(false);
  } finally {
    await Promise.all([plain.close(), off.close()]);
  }
});
