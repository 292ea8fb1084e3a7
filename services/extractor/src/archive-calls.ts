// Housekeeping (5 am): calls older than ARCHIVE_AFTER_DAYS move to `calls_archive`, a chunk at
// a time. Each chunk is copied first (an upsert by id, so copying twice is harmless) and only
// then deleted from `calls`: a job killed at any point leaves every call in at least one of the
// two collections, and the next run finishes the move.

import type { AnyBulkWriteOperation, Db } from 'mongodb';
import { SyncStatus, type Call } from '@call-sync/core';
import { Collections, type Logger } from '@call-sync/platform';
import { callsCollection } from '@call-sync/store';

export async function archiveCalls(
  db: Db,
  logger: Logger,
  options: { olderThan: Date; chunkSize?: number },
): Promise<{ moved: number }> {
  const chunkSize = options.chunkSize ?? 1000;
  const calls = callsCollection(db);
  const archive = db.collection<Call>(Collections.CallsArchive);
  let moved = 0;
  for (;;) {
    // A call a run still owns is left in place until that run is done with it.
    const chunk = await calls
      .find({ timestamp: { $lt: options.olderThan }, sync_status: { $ne: SyncStatus.InProgress } })
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
  return { moved };
}
