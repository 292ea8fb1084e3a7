import { SyncStatus, type Call } from '@call-sync/core';
import { Collections } from '@call-sync/platform';
import { callsCollection } from '@call-sync/store';
import { archiveCalls } from '../src/archive-calls';
import { createTestDatabase, logger, makeCall, type TestDatabase } from './support/extractor-world';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('archive-calls');
});

afterAll(() => database.drop());

const DAY = 86_400_000;
const cutoff = new Date('2026-08-01T00:00:00Z');
const withoutId = ({ _id, ...call }: Call & { _id?: unknown }): Call => call;

test('settled calls older than the cutoff move to calls_archive in chunks, once each, even after an interrupted chunk', async () => {
  const { db } = database;
  const settled = [
    SyncStatus.Finished,
    SyncStatus.Ignored,
    SyncStatus.QueuedForCsv,
    SyncStatus.AttemptedError,
    SyncStatus.UnattemptedError,
    SyncStatus.Finished,
    SyncStatus.Finished,
  ];
  const old = settled.map((sync_status, i) =>
    makeCall({ timestamp: new Date(cutoff.getTime() - (i + 1) * DAY), sync_status, run_id: 'run-old' }),
  );
  // Not settled: each stays where a run, a reset or a person finds it.
  const owned = makeCall({
    timestamp: new Date(cutoff.getTime() - 2 * DAY),
    sync_status: SyncStatus.InProgress,
    run_id: 'run-live',
  });
  const unsynced = [3, 4].map((days) => makeCall({ timestamp: new Date(cutoff.getTime() - days * DAY) }));
  const unknown = makeCall({
    timestamp: new Date(cutoff.getTime() - 5 * DAY),
    sync_status: SyncStatus.AttemptedError,
    outcome_unknown: true,
    run_id: 'run-old',
  });
  const recent = Array.from({ length: 3 }, (_, i) =>
    makeCall({ timestamp: new Date(cutoff.getTime() + i * DAY) }),
  );
  await callsCollection(db).insertMany(
    [...old, owned, ...unsynced, unknown, ...recent].map((c) => ({ ...c })),
  );
  // A job killed after copying a chunk but before deleting it left this copy behind.
  await db.collection<Call>(Collections.CallsArchive).insertOne({ ...old[3]! });
  // An archive from before the keep-back rule moved an outcome-unknown call: it comes back.
  const archivedUnknown = makeCall({
    timestamp: new Date(cutoff.getTime() - 30 * DAY),
    sync_status: SyncStatus.AttemptedError,
    outcome_unknown: true,
    run_id: 'run-older',
  });
  await db.collection<Call>(Collections.CallsArchive).insertOne({ ...archivedUnknown });

  expect(await archiveCalls(db, logger, { olderThan: cutoff, chunkSize: 3 })).toEqual({
    moved: 7,
    restored: 1,
    keptBack: { unsynced: 2, in_progress: 1, outcome_unknown: 2 },
  });

  const archived = await db
    .collection<Call>(Collections.CallsArchive)
    .find()
    .sort({ timestamp: 1 })
    .toArray();
  expect(archived.map(withoutId)).toEqual(
    [...old].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime()).map(withoutId),
  );
  const left = await callsCollection(db).find().toArray();
  expect(left.map((c) => c.id).sort()).toEqual(
    [
      owned.id,
      ...unsynced.map((c) => c.id),
      unknown.id,
      archivedUnknown.id,
      ...recent.map((c) => c.id),
    ].sort(),
  );

  // Run again (the next morning, or after a crash): nothing moves, nothing doubles.
  expect(await archiveCalls(db, logger, { olderThan: cutoff, chunkSize: 3 })).toEqual({
    moved: 0,
    restored: 0,
    keptBack: { unsynced: 2, in_progress: 1, outcome_unknown: 2 },
  });
  expect(await db.collection(Collections.CallsArchive).countDocuments()).toBe(7);
  expect(await callsCollection(db).countDocuments()).toBe(8);
});
