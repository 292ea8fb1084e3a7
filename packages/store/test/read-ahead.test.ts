import type { Db } from 'mongodb';
import { connectMongo, type MongoConnection } from '@call-sync/platform';
import { batchesReadAhead } from '@call-sync/store';
import { serverEnv, uniqueName } from '../../../test/support/env';

let connection: MongoConnection;
let db: Db;

beforeAll(async () => {
  connection = await connectMongo(serverEnv().mongoUrl, uniqueName('read-ahead-test'));
  db = connection.db;
  await db.collection('numbers').insertMany(Array.from({ length: 25 }, (_, n) => ({ n })));
});

afterAll(async () => {
  await db.dropDatabase();
  await connection.close();
});

const numbers = (batchSize: number) =>
  db
    .collection<{ n: number }>('numbers')
    .find({}, { projection: { _id: 0, n: 1 } })
    .sort({ n: 1 })
    .batchSize(batchSize);

describe('batchesReadAhead', () => {
  it("yields every document once, in the cursor's order, a server batch at a time", async () => {
    const cursor = numbers(10);
    const batches: number[][] = [];
    for await (const batch of batchesReadAhead(cursor)) batches.push(batch.map((doc) => doc.n));
    await cursor.close();
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 5]);
    expect(batches.flat()).toEqual(Array.from({ length: 25 }, (_, n) => n));
  });

  it('has the next batch requested before the reader has finished the current one', async () => {
    const cursor = numbers(10);
    const buffered: number[] = [];
    for await (const batch of batchesReadAhead(cursor)) {
      // Give the request left in flight time to come back while this batch is "being worked on".
      await new Promise((resolve) => setTimeout(resolve, 50));
      buffered.push(cursor.bufferedCount());
      void batch;
    }
    await cursor.close();
    expect(buffered).toEqual([10, 5, 0]);
  });

  it('lets a reader stop early and close the cursor with a request in flight', async () => {
    const cursor = numbers(10);
    const seen: number[] = [];
    for await (const batch of batchesReadAhead(cursor)) {
      seen.push(...batch.map((doc) => doc.n));
      break;
    }
    await cursor.close();
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The server's cursor is killed, not left open until it times out.
    expect(cursor.killed).toBe(true);
  });

  it('yields nothing for an empty result', async () => {
    const cursor = db.collection('numbers').find({ n: -1 });
    const batches = [];
    for await (const batch of batchesReadAhead(cursor)) batches.push(batch);
    await cursor.close();
    expect(batches).toEqual([]);
  });
});
