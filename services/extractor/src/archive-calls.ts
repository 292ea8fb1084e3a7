// Housekeeping (5 am): settled calls older than ARCHIVE_AFTER_DAYS move to `calls_archive`, a
// chunk at a time. Each chunk is copied first (an upsert by id, so copying twice is harmless) and
// only then deleted from `calls`: a job killed at any point leaves every call in at least one of
// the two collections, and the next run finishes the move.
//
// A call that has not settled stays where runs, resets and people find it: unsynced (a later run
// or a requested one may still take it), in progress (a run owns it), and outcome unknown (a
// person must resolve it on the worklist). The job says how many it kept back, and brings back any
// outcome-unknown call an earlier archive had moved.

import type { AnyBulkWriteOperation, Db } from 'mongodb';
import { SyncStatus, type Call } from '@call-sync/core';
import { Collections, type Logger } from '@call-sync/platform';
import { callsCollection } from '@call-sync/store';

/** The statuses that end a call's sync: only these are archived. */
const SETTLED = [
  SyncStatus.Finished,
  SyncStatus.Ignored,
  SyncStatus.QueuedForCsv,
  SyncStatus.AttemptedError,
  SyncStatus.UnattemptedError,
];

/** Calls past the retention the archive left in place, by why. */
export interface KeptBack {
  unsynced: number;
  in_progress: number;
  outcome_unknown: number;
}

export async function archiveCalls(
  db: Db,
  logger: Logger,
  options: { olderThan: Date; chunkSize?: number },
): Promise<{ moved: number; restored: number; keptBack: KeptBack }> {
  const chunkSize = options.chunkSize ?? 1000;
  const calls = callsCollection(db);
  const archive = db.collection<Call>(Collections.CallsArchive);
  const restored = await restoreOutcomeUnknown(db);
  let moved = 0;
  for (;;) {
    const chunk = await calls
      .find({
        timestamp: { $lt: options.olderThan },
        sync_status: { $in: SETTLED },
        outcome_unknown: { $ne: true },
      })
      .sort({ timestamp: 1 })
      .limit(chunkSize)
      .toArray();
    if (chunk.length === 0) break;
    const copies: AnyBulkWriteOperation<Call>[] = chunk.map(({ _id, ...call }) => ({
      replaceOne: { filter: { id: call.id }, replacement: call as Call, upsert: true },
    }));
    await archive.bulkWrite(copies, { ordered: false });
    const deleted = await calls.deleteMany({ _id: { $in: chunk.map((c) => c._id) } });
    moved += deleted.deletedCount;
    logger.info({ moved }, 'calls archived');
  }
  const keptBack = await countKeptBack(db, options.olderThan);
  const kept = keptBack.unsynced + keptBack.in_progress + keptBack.outcome_unknown;
  if (kept > 0)
    logger.warn(
      { keptBack, olderThan: options.olderThan },
      `${kept} calls past the retention were kept back: unsynced ones wait for a run, in-progress ones for their run, outcome-unknown ones for a person (/outcome-unknown)`,
    );
  return { moved, restored, keptBack };
}

/** Whatever is past the retention after the move is what the archive kept back. */
async function countKeptBack(db: Db, olderThan: Date): Promise<KeptBack> {
  const groups = await callsCollection(db)
    .aggregate<{ _id: { status: string | null; unknown: boolean | null }; n: number }>([
      { $match: { timestamp: { $lt: olderThan } } },
      { $group: { _id: { status: '$sync_status', unknown: '$outcome_unknown' }, n: { $sum: 1 } } },
    ])
    .toArray();
  const keptBack: KeptBack = { unsynced: 0, in_progress: 0, outcome_unknown: 0 };
  for (const { _id, n } of groups) {
    if (_id.unknown === true) keptBack.outcome_unknown += n;
    else if (_id.status === SyncStatus.InProgress) keptBack.in_progress += n;
    else if (!_id.status) keptBack.unsynced += n;
  }
  return keptBack;
}

/** Outcome-unknown calls an earlier archive moved go back to `calls`, onto the worklist. */
async function restoreOutcomeUnknown(db: Db): Promise<number> {
  const archive = db.collection<Call>(Collections.CallsArchive);
  const found = await archive.find({ outcome_unknown: true }).toArray();
  if (found.length === 0) return 0;
  await callsCollection(db).bulkWrite(
    found.map(({ _id, ...call }) => ({
      replaceOne: { filter: { id: call.id }, replacement: call as Call, upsert: true },
    })),
    { ordered: false },
  );
  const removed = await archive.deleteMany({ _id: { $in: found.map((c) => c._id) } });
  return removed.deletedCount;
}
