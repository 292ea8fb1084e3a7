// A `bulk` run's VAN Bulk Import jobs, kept on the run document, and the calls each job carries.
// At most once applies to jobs as to posts: a job is marked `creating` (compare-and-set) before the
// request that creates it leaves, and its id is recorded as soon as VAN answers; a redelivered
// message finds the job and resumes polling it. A job left `creating` without an id may exist at
// VAN: its calls become "outcome unknown" — never a second job for them.

import type { Db, FindCursor } from 'mongodb';
import { SyncStatus, VanBulkImportMessage, type BulkRowLayout, type Call } from '@call-sync/core';
import { Topics, type Publisher } from '@call-sync/platform';
import {
  callsCollection,
  runsCollection,
  type BulkJobRecord,
  type BulkJobState,
  type RunBulkImport,
  type RunDocument,
} from './collections';
import { OUTCOME_UNKNOWN, whereStatus } from './pipeline-calls';

type BulkCall = Call & { bulk_row?: number; posting_request_id?: string };

export function bulkRequestId(runId: string, attempt: number, file: number): string {
  return `bulk:${runId}:${attempt}:${file}`;
}

export async function readRunBulkImport(db: Db, runId: string): Promise<RunBulkImport | undefined> {
  const run = await runsCollection(db).findOne({ _id: runId });
  return run?.bulkImport;
}

/** Starts (or restarts) the preparation of a run's files; returns the attempt number, or null once prepared. */
export async function beginBulkPreparation(
  db: Db,
  runId: string,
  { surveyMapping, mappings }: Pick<RunBulkImport, 'surveyMapping' | 'mappings'>,
): Promise<number | null> {
  const current = await readRunBulkImport(db, runId);
  if (current?.prepared) return null;
  const attempt = (current?.attempt ?? 0) + 1;
  const fresh: RunBulkImport = {
    attempt,
    prepared: false,
    jobs: [],
    calls: 0,
    requests: current?.requests ?? 0,
    ...(surveyMapping ? { surveyMapping } : {}),
    ...(mappings ? { mappings } : {}),
  };
  const updated = await runsCollection(db).updateOne(
    { _id: runId, 'bulkImport.prepared': { $ne: true } },
    { $set: { bulkImport: fresh } },
  );
  return updated.modifiedCount === 1 ? attempt : null;
}

export async function finishBulkPreparation(
  db: Db,
  runId: string,
  attempt: number,
  prepared: { layout: BulkRowLayout; jobs: BulkJobRecord[]; calls: number },
): Promise<boolean> {
  const updated = await runsCollection(db).updateOne(
    { _id: runId, 'bulkImport.attempt': attempt, 'bulkImport.prepared': false },
    {
      $set: {
        'bulkImport.prepared': true,
        'bulkImport.layout': prepared.layout,
        'bulkImport.jobs': prepared.jobs,
        'bulkImport.calls': prepared.calls,
      },
    },
  );
  return updated.modifiedCount === 1;
}

export async function markBulkFallback(db: Db, runId: string): Promise<void> {
  await runsCollection(db).updateOne(
    { _id: runId },
    {
      $set: { 'bulkImport.fallback': 'per-call' },
    },
  );
}

/** Moves one job from `from` to `to` (compare-and-set); false when another worker moved it first. */
export async function transitionBulkJob(
  db: Db,
  runId: string,
  file: number,
  from: BulkJobState,
  to: BulkJobState,
  set: { jobId?: string; status?: string; error?: string } = {},
): Promise<boolean> {
  // By position (jobs[i].file === i), not arrayFilters: the local MongoDB-wire server does not add
  // new fields through arrayFilters, and a lost job id would mean a second job after a crash.
  const at = `bulkImport.jobs.${file}`;
  const fields: Record<string, unknown> = { [`${at}.state`]: to };
  for (const [name, value] of Object.entries(set)) fields[`${at}.${name}`] = value;
  const updated = await runsCollection(db).updateOne(
    { _id: runId, [`${at}.file`]: file, [`${at}.state`]: from },
    { $set: fields },
  );
  return updated.modifiedCount === 1;
}

export async function addBulkRequests(db: Db, runId: string, requests: number): Promise<void> {
  if (requests > 0)
    await runsCollection(db).updateOne(
      { _id: runId },
      {
        $inc: { 'bulkImport.requests': requests },
      },
    );
}

/** The run's calls bound for VAN and not settled, oldest first: what its files hold. */
export function bulkCandidateCalls(db: Db, runId: string, batchSize = 1000): FindCursor<BulkCall> {
  return callsCollection(db)
    .find(
      { run_id: runId, sync_status: SyncStatus.InProgress, van_request: { $exists: true } },
      { projection: { id: 1, van_request: 1, posting_request_id: 1 } },
    )
    .sort({ timestamp: 1, id: 1 })
    .batchSize(batchSize) as FindCursor<BulkCall>;
}

/**
 * Puts calls in a job's file: each gets the job's request id and its row. The filter names exactly
 * the fields of the `id_run_status_request` index (see pipeline-calls' postingFilter).
 */
export async function assignBulkRows(
  db: Db,
  runId: string,
  rows: { callId: string; previousRequestId: string | null; row: number }[],
  requestId: string,
): Promise<void> {
  if (rows.length === 0) return;
  await callsCollection(db).bulkWrite(
    rows.map((r) => ({
      updateOne: {
        filter: {
          id: r.callId,
          run_id: runId,
          sync_status: SyncStatus.InProgress,
          posting_request_id: r.previousRequestId as string,
        },
        update: { $set: { posting_request_id: requestId, bulk_row: r.row } as Partial<Call> },
      },
    })),
    { ordered: false },
  );
}

/** Right before the job is created: its calls may reach VAN from now on (a failed run flags them). */
export async function markBulkPosting(
  db: Db,
  runId: string,
  requestId: string,
  now = new Date(),
): Promise<void> {
  await callsCollection(db).updateMany(
    { run_id: runId, sync_status: SyncStatus.InProgress, posting_request_id: requestId },
    { $set: { posting_started_at: now }, $inc: { attempts: 1 } },
  );
}

/** A job VAN refused or failed outright applied nothing: its calls are free again for this run's end. */
export async function releaseBulkPosting(db: Db, runId: string, requestId: string): Promise<void> {
  await callsCollection(db).updateMany(
    { run_id: runId, sync_status: SyncStatus.InProgress, posting_request_id: requestId },
    { $unset: { posting_started_at: '', posting_request_id: '', bulk_row: '' } },
  );
}

/** The calls of one job's file with their rows (bounded by VAN_BULK_MAX_ROWS_PER_JOB). */
export async function bulkJobCalls(
  db: Db,
  runId: string,
  requestId: string,
): Promise<{ id: string; row: number; vanId: number }[]> {
  const calls = (await callsCollection(db)
    .find(
      { run_id: runId, sync_status: SyncStatus.InProgress, posting_request_id: requestId },
      { projection: { id: 1, bulk_row: 1, 'van_request.vanId': 1 } },
    )
    .toArray()) as BulkCall[];
  return calls.map((c) => ({ id: c.id, row: c.bulk_row ?? 0, vanId: c.van_request?.vanId ?? 0 }));
}

/**
 * A job whose creation may or may not have reached VAN: its calls are flagged for a person, with
 * `why` saying what left the job's existence unknown.
 */
export async function flagBulkOutcomeUnknown(
  db: Db,
  runId: string,
  requestId: string,
  why: string,
  now = new Date(),
): Promise<number> {
  const result = await callsCollection(db).updateMany(
    {
      run_id: runId,
      ...whereStatus(SyncStatus.InProgress, SyncStatus.AttemptedError),
      posting_request_id: requestId,
    },
    {
      $set: {
        sync_status: SyncStatus.AttemptedError,
        error: `${OUTCOME_UNKNOWN} (the Bulk Import job may have been created: ${why})`,
        outcome_unknown: true,
        synced_at: now,
      },
    },
  );
  return result.modifiedCount;
}

/** Asks the van-writer to send (or resume) a `bulk` run's Bulk Import jobs. */
export async function publishBulkImport(
  publisher: Publisher,
  run: Pick<RunDocument, 'runId' | 'candidate'>,
): Promise<void> {
  const value: VanBulkImportMessage = { v: 1, runId: run.runId, candidate: run.candidate };
  await publisher.publish(Topics.VanBulkImport, VanBulkImportMessage, [{ key: run.candidate, value }]);
}
