import type { Db } from 'mongodb';
import { SyncStatus, type Call } from '@call-sync/core';
import { Collections, connectMongo, ensureIndexes, type MongoConnection } from '@call-sync/platform';
import {
  callsCollection,
  claimCalls,
  countRunCalls,
  createMongoRequestBudget,
  markPosting,
  markPostingCalls,
  readCallsToPost,
  recordOutcome,
  releasePosting,
} from '@call-sync/store';
import { waitUntil } from '@call-sync/testkit';
import { serverEnv, uniqueName } from '../../../test/support/env';

let connection: MongoConnection;
let db: Db;

beforeAll(async () => {
  connection = await connectMongo(serverEnv().mongoUrl, uniqueName('store-test'));
  db = connection.db;
  await ensureIndexes(db);
});

afterAll(async () => {
  await db.dropDatabase();
  await connection.close();
});

function call(id: string): Call {
  const at = new Date('2026-10-20T22:00:00Z');
  return {
    id,
    account_number: `nc05-van-${id}`,
    district: 'nc05',
    system_id: 'van',
    voter_id: '123456',
    first_name: 'Ana',
    last_name: 'Chen',
    phone_dialed: '9195550000',
    start_time: at,
    timestamp: at,
    caller_login: 'vol_ana',
    lv_result: 'NO ANSWER',
    full_on_screen_result: 'not home',
  };
}

test('a call is claimed by one run only, and a claim clears what an earlier (reset) run left', async () => {
  const ids = [uniqueName('c'), uniqueName('c')];
  await callsCollection(db).insertMany([{ ...call(ids[0]!), posting_started_at: new Date() }, call(ids[1]!)]);
  const claims = ids.map((callId) => ({ callId, status: SyncStatus.InProgress }));
  const [a, b] = await Promise.all([claimCalls(db, 'run-a', claims), claimCalls(db, 'run-b', claims)]);
  expect(a.size + b.size).toBe(2);
  expect([...a].filter((id) => b.has(id))).toEqual([]);
  const stored = await callsCollection(db).findOne({ id: ids[0]! });
  expect(stored?.posting_started_at).toBeUndefined();
});

test('posting is marked once: a second attempt finds the mark and does not get to post', async () => {
  const id = uniqueName('c');
  await callsCollection(db).insertOne(call(id));
  await claimCalls(db, 'run-p', [{ callId: id, status: SyncStatus.InProgress }]);
  const marks = await Promise.all([markPosting(db, 'run-p', id, 'r1'), markPosting(db, 'run-p', id, 'r2')]);
  expect(marks.map((m) => m.kind).sort()).toEqual(['already-posting', 'marked']);
  expect(await recordOutcome(db, 'run-p', id, { status: SyncStatus.Finished })).toBe(true);
  // An outcome is recorded once; a redelivery changes nothing.
  expect(await recordOutcome(db, 'run-p', id, { status: SyncStatus.AttemptedError, error: 'x' })).toBe(false);
  expect((await markPosting(db, 'run-p', id, 'r3')).kind).toBe('settled');
  expect(await countRunCalls(db, 'run-p')).toEqual({ finished: 1 });
});

test('a mark is released only for a request that never left, and only by its owner', async () => {
  const id = uniqueName('c');
  await callsCollection(db).insertOne(call(id));
  await claimCalls(db, 'run-r', [{ callId: id, status: SyncStatus.InProgress }]);
  expect((await markPosting(db, 'run-r', id, 'mine')).kind).toBe('marked');
  await releasePosting(db, 'run-r', id, 'someone-else');
  expect((await markPosting(db, 'run-r', id, 'again')).kind).toBe('already-posting');
  await releasePosting(db, 'run-r', id, 'mine');
  expect((await markPosting(db, 'run-r', id, 'again')).kind).toBe('marked');
});

test('the shared VAN budget gives exactly its daily limit under concurrency', async () => {
  const budget = createMongoRequestBudget(db, uniqueName('key'), 25);
  const results = await Promise.all(Array.from({ length: 60 }, () => budget.tryConsume()));
  expect(results.filter(Boolean)).toHaveLength(25);
  expect(await budget.remaining()).toBe(0);
});

test('a budget that reserves ahead writes once per block, never passes the limit, and gives back what it held', async () => {
  // A fixed Eastern day, so the day's document can be read by its id.
  const now = () => new Date('2026-10-20T22:00:00Z');
  const usedOf = async (key: string) =>
    (
      await db
        .collection<{ _id: string; used: number }>(Collections.VanBudgets)
        .findOne({ _id: `${key}:2026-10-20` })
    )?.used;
  // Two writer replicas of one key, each taking 10 units at a time, asked 60 times together.
  const key = uniqueName('key');
  const replicas = [1, 2].map(() => createMongoRequestBudget(db, key, 25, { reserveAhead: 10, now }));
  const results = await Promise.all(Array.from({ length: 60 }, (_, i) => replicas[i % 2]!.tryConsume()));
  expect(results.filter(Boolean)).toHaveLength(25);
  expect(await usedOf(key)).toBe(25);

  const other = uniqueName('key');
  const writer = createMongoRequestBudget(db, other, 25, { reserveAhead: 10, now });
  for (let i = 0; i < 3; i += 1) expect(await writer.tryConsume()).toBe(true);
  // One block of 10 taken for the three requests; the 7 in hand are still this writer's.
  expect(await usedOf(other)).toBe(10);
  expect(await writer.remaining()).toBe(22);
  const elsewhere = createMongoRequestBudget(db, other, 25, { now });
  expect(await elsewhere.remaining()).toBe(15);
  await writer.release();
  expect(await usedOf(other)).toBe(3);
  expect(await elsewhere.remaining()).toBe(22);
});

test('a budget that refills ahead takes the next block while half the last is in hand, and never passes the limit', async () => {
  const now = () => new Date('2026-10-22T22:00:00Z');
  const key = uniqueName('key');
  const usedOf = async () =>
    (
      await db
        .collection<{ _id: string; used: number }>(Collections.VanBudgets)
        .findOne({ _id: `${key}:2026-10-22` })
    )?.used;
  const writer = createMongoRequestBudget(db, key, 25, { reserveAhead: 10, refillAt: 5, now });
  for (let i = 0; i < 4; i += 1) expect(await writer.tryConsume()).toBe(true);
  // 6 in hand: above the mark, one block taken.
  expect(await usedOf()).toBe(10);
  expect(await writer.tryConsume()).toBe(true);
  // 5 in hand: the next block is on its way, before anyone waits for it.
  await waitUntil(async () => (await usedOf()) === 20, { what: 'the second block taken ahead' });
  // The day holds 25: the third block cannot be had whole, and the last unit is taken alone.
  const rest = [];
  while (await writer.tryConsume()) rest.push(true);
  expect(rest).toHaveLength(20);
  expect(await usedOf()).toBe(25);
  await writer.release();
  expect(await usedOf()).toBe(25);
});

test('a budget tells what is left as its last reservation saw it, without reading the day again', async () => {
  const now = () => new Date('2026-10-21T22:00:00Z');
  const key = uniqueName('key');
  const writer = createMongoRequestBudget(db, key, 25, { reserveAhead: 10, now });
  const other = createMongoRequestBudget(db, key, 25, { now });
  expect(writer.remainingAsLastSeen()).toBeUndefined();
  for (let i = 0; i < 3; i += 1) expect(await writer.tryConsume()).toBe(true);
  // 10 taken, 3 spent: 15 in the day's document and 7 in hand.
  expect(writer.remainingAsLastSeen()).toBe(22);
  // What another process takes is seen at the next reservation, not before.
  for (let i = 0; i < 5; i += 1) expect(await other.tryConsume()).toBe(true);
  expect(writer.remainingAsLastSeen()).toBe(22);
  expect(await writer.remaining()).toBe(17);
  for (let i = 0; i < 8; i += 1) expect(await writer.tryConsume()).toBe(true);
  // The second block of 10 saw the other's 5: the day's document is full, 9 units in hand.
  expect(writer.remainingAsLastSeen()).toBe(9);
  expect(await writer.remaining()).toBe(9);
  // Spent to the last unit: refused, and the gauge says 0.
  while (await writer.tryConsume());
  expect(writer.remainingAsLastSeen()).toBe(0);
});

describe('marks taken with the calls read ahead', () => {
  const vanRequest = (vanId: number) => ({
    vanId,
    body: {
      canvassContext: { contactTypeId: 1, inputTypeId: 11, dateCanvassed: '2026-10-20T18:00:00-04:00' },
      resultCodeId: 1,
    },
  });

  async function claimed(runId: string, count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, () => uniqueName('c'));
    await callsCollection(db).insertMany(ids.map((id) => call(id)));
    await claimCalls(
      db,
      runId,
      ids.map((callId, i) => ({ callId, status: SyncStatus.InProgress, vanRequest: vanRequest(100 + i) })),
    );
    return ids;
  }

  test('every mark taken: each call comes back as read ahead, under the request id now stored', async () => {
    const ids = await claimed('run-ahead', 2);
    const readAhead = await readCallsToPost(db, [...ids, 'no-such-call']);
    expect(readAhead[2]).toBeNull();
    const marks = await markPostingCalls(
      db,
      ids.map((callId, i) => ({ runId: 'run-ahead', callId, readAhead: readAhead[i] })),
    );
    const stored = await callsCollection(db)
      .find({ id: { $in: ids } })
      .toArray();
    marks.forEach((mark, i) => {
      expect(mark.kind).toBe('marked');
      if (mark.kind !== 'marked') return;
      expect(mark.call.van_request).toEqual(vanRequest(100 + i));
      const call = stored.find((c) => c.id === ids[i]);
      expect(call?.posting_request_id).toBe(mark.requestId);
      expect(mark.call.posting_request_id).toBe(mark.requestId);
      expect(mark.call.posting_lease_until?.getTime()).toBe(call?.posting_lease_until?.getTime());
    });
  });

  test('a call another writer marked after it was read ahead is held by that writer, never ours', async () => {
    const ids = await claimed('run-race', 2);
    const readAhead = await readCallsToPost(db, ids);
    const [theirs] = await markPostingCalls(db, [{ runId: 'run-race', callId: ids[0]! }]);
    expect(theirs?.kind).toBe('marked');
    const marks = await markPostingCalls(
      db,
      ids.map((callId, i) => ({ runId: 'run-race', callId, readAhead: readAhead[i] })),
    );
    expect(marks.map((m) => m.kind)).toEqual(['held', 'marked']);
    const first = await callsCollection(db).findOne({ id: ids[0]! });
    expect(first?.posting_request_id).toBe(theirs?.kind === 'marked' ? theirs.requestId : 'none');
  });

  test('a call read ahead in another state is read again after its mark', async () => {
    const ids = await claimed('run-stale', 1);
    const readAhead = await readCallsToPost(db, ids);
    // As if read before its claim: the mark still applies, and what is posted is what is stored.
    const before = { ...readAhead[0]!, run_id: undefined, van_request: vanRequest(999) };
    const [mark] = await markPostingCalls(db, [{ runId: 'run-stale', callId: ids[0]!, readAhead: before }]);
    expect(mark?.kind).toBe('marked');
    expect(mark?.kind === 'marked' && mark.call.van_request).toEqual(vanRequest(100));
  });
});
