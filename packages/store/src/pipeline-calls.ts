// The `calls` collection as the pipeline sees it. Every change of `sync_status` is a
// compare-and-set on the status (and run) the writer expects, so two workers can never both own
// a call, and a redelivered message can never undo an outcome. Only single-document atomic
// operations, updateMany and bulkWrite are used: no sessions or transactions (the local
// MongoDB-wire server has none, and the pipeline must not need them on real MongoDB either).

import { randomUUID } from 'node:crypto';
import type { AnyBulkWriteOperation, Db, Filter, FindCursor } from 'mongodb';
import {
  canTransition,
  DECISION_FIELDS,
  RESULT_CSV_FIELDS,
  SyncStatus,
  type Call,
  type CallSyncState,
  type DecisionCall,
  type ResultCsvSource,
  type SyncReceipt,
  type TimeWindow,
  type VanCanvassRequest,
} from '@call-sync/core';
import { callsCollection } from './collections';

/** What a call whose VAN post may or may not have landed says, for a person to check in VAN. */
export const OUTCOME_UNKNOWN = 'outcome unknown — check VAN before replaying';

/** The sync fields a new claim starts from: whatever an earlier (reset) run left is cleared. */
const STALE_SYNC_FIELDS = {
  receipt: '',
  synced_at: '',
  posting_started_at: '',
  posting_request_id: '',
  van_request: '',
  outcome_unknown: '',
  posting_lease_until: '',
} as const;
const STALE_FIELD_NAMES = Object.keys(STALE_SYNC_FIELDS) as (keyof typeof STALE_SYNC_FIELDS)[];

/**
 * The compare-and-set condition on `sync_status` for moving a call from `from` to `to`. Every
 * status write of the pipeline goes through here, so core's transition table is the one place
 * that says which moves exist; a move it forbids throws before anything is written.
 */
export function whereStatus(
  from: CallSyncState,
  to: CallSyncState,
): { sync_status: SyncStatus | { $exists: false } } {
  if (!canTransition(from, to)) {
    throw new RangeError(`a call cannot move from ${from ?? 'unsynced'} to ${to ?? 'unsynced'}`);
  }
  return { sync_status: from ?? { $exists: false } };
}

/** A projection of exactly `fields`: a cursor over a night carries only what its reader reads. */
export function projectionOf(fields: readonly string[]): Record<string, 0 | 1> {
  return Object.fromEntries([['_id', 0], ...fields.map((field) => [field, 1])]) as Record<string, 0 | 1>;
}

const DECISION_PROJECTION = projectionOf(DECISION_FIELDS);
const RESULT_CSV_PROJECTION = projectionOf(RESULT_CSV_FIELDS);

/**
 * The candidate's unsynced calls in the window, oldest first, read in batches by a cursor so a
 * night of any size never sits in memory; only the fields deciding a call reads. With `limit`, only
 * the first `limit` of them (a night's first batch, read alone).
 */
export function unsyncedCallsInWindow(
  db: Db,
  selection: { district: string; window: TimeWindow },
  batchSize = 500,
  limit?: number,
): FindCursor<DecisionCall> {
  const cursor = callsCollection(db)
    .find({
      district: selection.district,
      timestamp: { $gte: selection.window.start, $lt: selection.window.end },
      sync_status: { $exists: false },
    })
    .project<DecisionCall>(DECISION_PROJECTION)
    .sort({ timestamp: 1, id: 1 })
    .batchSize(batchSize);
  return limit === undefined ? cursor : cursor.limit(limit);
}

export interface CallClaim {
  callId: string;
  status: SyncStatus;
  displayName?: string;
  error?: string;
  vanRequest?: { vanId: number; body: VanCanvassRequest };
}

/**
 * Claims calls for a run in one bulk write: each update applies only if the call is still
 * unsynced, so a call another run (or a concurrent extractor) took first is left alone.
 * Returns the ids this run now owns, read back by id (bulkWrite reports counts, not which).
 *
 * "Unsynced" is written as the four fields of the `id_run_status_request` index, all null (an
 * unsynced call has no status, run or posting mark: every release and reset removes the three
 * together). The local MongoDB-wire server serves only filters naming exactly an index's fields,
 * and scanned every call for each claim otherwise (~400 claims/s at 10k calls); real MongoDB
 * serves it by `id_unique`. Both reads are by id for the same reason.
 */
export async function claimCalls(
  db: Db,
  runId: string,
  claims: CallClaim[],
  now = new Date(),
): Promise<Set<string>> {
  if (claims.length === 0) return new Set();
  // whereStatus checks each move is allowed, once per status rather than once per call.
  for (const status of new Set(claims.map((c) => c.status))) whereStatus(undefined, status);
  const operations: AnyBulkWriteOperation<Call>[] = claims.map((claim) => {
    const set: Partial<Call> = { sync_status: claim.status, run_id: runId };
    if (claim.displayName !== undefined) set.display_name = claim.displayName;
    if (claim.error !== undefined) set.error = claim.error;
    if (claim.vanRequest !== undefined) set.van_request = claim.vanRequest;
    const final = claim.status !== SyncStatus.InProgress && claim.status !== SyncStatus.QueuedForCsv;
    if (final) set.synced_at = now;
    // Built by adding fields, never deleting them: a deleted key turns the object into V8's slow
    // dictionary mode, and the driver then serialises every claim of a night more slowly.
    const unset: Record<string, ''> = {};
    for (const field of STALE_FIELD_NAMES) if (!(field in set)) unset[field] = '';
    if (claim.error === undefined) unset.error = '';
    return {
      updateOne: {
        // null matches a missing status, as $exists would.
        filter: {
          id: claim.callId,
          run_id: null as unknown as string,
          sync_status: null as unknown as SyncStatus,
          posting_request_id: null as unknown as string,
        },
        update: { $set: set, $unset: unset },
      },
    };
  });
  const written = await callsCollection(db).bulkWrite(operations, { ordered: false });
  // A claim that matched always modified (its status goes from none to one), so when every claim
  // modified a call, every call is ours: the usual case needs no read-back, which costs the local
  // MongoDB-wire server as much again as the claims themselves.
  if (written.modifiedCount === claims.length) return new Set(claims.map((c) => c.callId));
  const found = await callsCollection(db)
    .find({ id: { $in: claims.map((c) => c.callId) } }, { projection: { id: 1, run_id: 1, sync_status: 1 } })
    .toArray();
  const expected = new Map(claims.map((c) => [c.callId, c.status]));
  return new Set(
    found.filter((c) => c.run_id === runId && expected.get(c.id) === c.sync_status).map((c) => c.id),
  );
}

export type PostingMark =
  /** This worker owns the post: the mark is set, the request may leave. */
  | { kind: 'marked'; call: Call; requestId: string }
  /** Someone started posting this call before and never recorded an outcome. */
  | { kind: 'already-posting'; call: Call }
  /** The call has its outcome (or belongs to another run): nothing to do. */
  | { kind: 'settled'; call: Call | null };

/**
 * The at-most-once gate: sets `posting_started_at` only if the call is in progress for this run
 * and no one has set it before. The request may leave only after this write succeeded.
 */
export async function markPosting(
  db: Db,
  runId: string,
  callId: string,
  requestId: string,
  now = new Date(),
): Promise<PostingMark> {
  const calls = callsCollection(db);
  const marked = await calls.findOneAndUpdate(
    { id: callId, run_id: runId, sync_status: SyncStatus.InProgress, posting_started_at: { $exists: false } },
    { $set: { posting_started_at: now, posting_request_id: requestId }, $inc: { attempts: 1 } },
    { returnDocument: 'after' },
  );
  if (marked) return { kind: 'marked', call: marked, requestId };
  const call = await calls.findOne({ id: callId });
  if (
    call &&
    call.run_id === runId &&
    call.sync_status === SyncStatus.InProgress &&
    call.posting_started_at
  ) {
    return { kind: 'already-posting', call };
  }
  return { kind: 'settled', call };
}

/**
 * Takes the posting mark back, for a request that provably never reached VAN (budget spent,
 * refused with 429, connection never opened). Only the mark this worker set is removed.
 */
export async function releasePosting(
  db: Db,
  runId: string,
  callId: string,
  requestId: string,
): Promise<void> {
  await callsCollection(db).updateOne(
    { id: callId, run_id: runId, sync_status: SyncStatus.InProgress, posting_request_id: requestId },
    { $unset: { posting_started_at: '', posting_request_id: '', posting_lease_until: '' } },
  );
}

/**
 * Records a worker's outcome for a call it owns (in progress for this run). Returns false when
 * the call already had an outcome, so a redelivery never counts or overwrites twice.
 */
export interface CallOutcome {
  status: SyncStatus;
  receipt?: SyncReceipt;
  error?: string;
  /** The post may have reached VAN: flagged for a person, never re-posted (Call.outcome_unknown). */
  outcomeUnknown?: boolean;
}

export async function recordOutcome(
  db: Db,
  runId: string,
  callId: string,
  outcome: CallOutcome,
  now = new Date(),
): Promise<boolean> {
  const set: Partial<Call> = { sync_status: outcome.status, synced_at: now };
  if (outcome.receipt) set.receipt = outcome.receipt;
  if (outcome.error !== undefined) set.error = outcome.error;
  if (outcome.outcomeUnknown) set.outcome_unknown = true;
  const result = await callsCollection(db).updateOne(
    { id: callId, run_id: runId, ...whereStatus(SyncStatus.InProgress, outcome.status) },
    { $set: set },
  );
  return result.modifiedCount === 1;
}

/**
 * The filter of the writer's batched compare-and-sets: a call in progress for this run whose
 * posting mark is `requestId` (`null`: no mark; the mark's two fields are always set and removed
 * together). Its fields are exactly those of the `id_run_status_request` index: the local
 * MongoDB-wire server uses an index only for a filter naming exactly an index's fields with plain
 * values, and scanned every call for each compare-and-set otherwise. Real MongoDB uses `id_unique`.
 */
function postingFilter(runId: string, callId: string, requestId: string | null): Filter<Call> {
  return {
    id: callId,
    run_id: runId,
    sync_status: SyncStatus.InProgress,
    posting_request_id: requestId as string,
  };
}

/**
 * A mark the batch could not take (the write failed for this call): nothing was sent. Or the call
 * is marked by another request whose lease has not run out: that writer may be waiting for VAN's
 * answer right now, and only it can say what VAN did; the call is looked at again later.
 */
export type BatchPostingMark =
  | { kind: 'marked'; call: MarkedCall; requestId: string }
  | { kind: 'already-posting'; call: MarkedCall }
  | { kind: 'settled'; call: MarkedCall | null }
  | { kind: 'failed'; error: unknown }
  | { kind: 'held'; call: MarkedCall };

/** What the writer reads back of a call it tried to mark: the mark, and what to post. */
const MARKED_CALL_PROJECTION = {
  id: 1,
  run_id: 1,
  sync_status: 1,
  posting_request_id: 1,
  posting_started_at: 1,
  posting_lease_until: 1,
  van_request: 1,
  finish_time: 1,
  timestamp: 1,
} as const;
export type MarkedCall = Pick<Call, keyof typeof MARKED_CALL_PROJECTION>;

/**
 * How long a mark is its writer's unless the writer renews it (renewPostingLeases), which a live
 * writer does every few seconds while the post is out: a dead writer's marks lapse this soon.
 */
export const POSTING_LEASE_MS = 15_000;

/**
 * The calls as the writer needs them to mark and post them, read ahead while they wait for their
 * key: null for an id no call has.
 */
export async function readCallsToPost(db: Db, callIds: readonly string[]): Promise<(MarkedCall | null)[]> {
  const found = new Map(
    (
      await callsCollection(db)
        .find<MarkedCall>({ id: { $in: [...new Set(callIds)] } }, { projection: MARKED_CALL_PROJECTION })
        .toArray()
    ).map((c) => [c.id, c]),
  );
  return callIds.map((id) => found.get(id) ?? null);
}

/** A call to mark, with what was read of it ahead (readCallsToPost), if anything. */
export interface PostingMarkEntry {
  runId: string;
  callId: string;
  readAhead?: MarkedCall | null;
}

/**
 * `markPosting` for many calls, of any runs (a writer's keys side by side): one bulk of
 * compare-and-sets, each applying only to an unmarked call in progress for its run. When every
 * one applied (each filter names one call by id) and each call was read ahead unmarked in
 * progress for its run, each call is this worker's as read ahead: a call keeps its request from
 * its claim until it leaves its run. Otherwise one read by id tells, per call, whether this worker
 * holds the mark (its own request id is on the call), someone else does (and still holds its
 * lease, or held it and died), the call is settled, or this call's write failed. Each call gets
 * its own request id, and its mark a lease of `leaseMs`.
 */
export async function markPostingCalls(
  db: Db,
  entries: readonly PostingMarkEntry[],
  now = new Date(),
  leaseMs = POSTING_LEASE_MS,
): Promise<BatchPostingMark[]> {
  const calls = callsCollection(db);
  const requestIds = entries.map(() => randomUUID());
  const leaseUntil = new Date(now.getTime() + leaseMs);
  let writeError: unknown;
  try {
    const written = await calls.bulkWrite(
      entries.map(({ runId, callId }, i) => ({
        updateOne: {
          filter: postingFilter(runId, callId, null),
          update: {
            $set: {
              posting_started_at: now,
              posting_request_id: requestIds[i]!,
              posting_lease_until: leaseUntil,
            },
            $inc: { attempts: 1 },
          },
        },
      })),
      { ordered: false },
    );
    const unmarkedAhead = (e: PostingMarkEntry): e is PostingMarkEntry & { readAhead: MarkedCall } =>
      e.readAhead?.run_id === e.runId &&
      e.readAhead.sync_status === SyncStatus.InProgress &&
      !e.readAhead.posting_request_id;
    if (written.modifiedCount === entries.length && entries.every(unmarkedAhead)) {
      return entries.map((e, i) => ({
        kind: 'marked',
        requestId: requestIds[i]!,
        call: {
          ...e.readAhead,
          posting_started_at: now,
          posting_request_id: requestIds[i]!,
          posting_lease_until: leaseUntil,
        },
      }));
    }
  } catch (error) {
    // Some marks may have been taken (unordered): the read below says which.
    writeError = error;
  }
  const found = await readCallsToPost(
    db,
    entries.map((e) => e.callId),
  );
  return entries.map(({ runId }, i): BatchPostingMark => {
    const call = found[i] ?? null;
    const requestId = requestIds[i]!;
    const ours = call?.run_id === runId && call.sync_status === SyncStatus.InProgress;
    if (ours && call.posting_request_id === requestId) return { kind: 'marked', call, requestId };
    if (ours && call.posting_started_at && (call.posting_lease_until?.getTime() ?? 0) > now.getTime())
      return { kind: 'held', call };
    if (ours && call.posting_started_at) return { kind: 'already-posting', call };
    if (ours) return { kind: 'failed', error: writeError ?? new Error('the posting mark was not taken') };
    return { kind: 'settled', call };
  });
}

/** Extends the leases of marks a live writer still holds (its posts are out), in one write. */
export async function renewPostingLeases(
  db: Db,
  marks: readonly { callId: string; requestId: string }[],
  until: Date,
): Promise<void> {
  if (marks.length === 0) return;
  await callsCollection(db).bulkWrite(
    marks.map(({ callId, requestId }) => ({
      updateOne: {
        filter: { id: callId, posting_request_id: requestId },
        update: { $set: { posting_lease_until: until } },
      },
    })),
    { ordered: false },
  );
}

/** One outcome for `recordOutcomes`: the call, and the posting mark it was posted under. */
export interface MarkedOutcome {
  runId: string;
  callId: string;
  requestId: string;
  outcome: CallOutcome;
}

/**
 * `recordOutcome` for many calls in one bulk write; each applies only while the call is in
 * progress under the given mark. Returns, per entry, whether this write recorded it (false: the
 * call had its outcome already, e.g. its run failed meanwhile). Throws when some outcome is not
 * recorded because a write failed; a retry with the same `now` recognises the ones that were.
 */
export async function recordOutcomes(db: Db, entries: MarkedOutcome[], now = new Date()): Promise<boolean[]> {
  if (entries.length === 0) return [];
  const calls = callsCollection(db);
  const setFor = (outcome: CallOutcome): Partial<Call> => {
    const set: Partial<Call> = { sync_status: outcome.status, synced_at: now };
    if (outcome.receipt) set.receipt = outcome.receipt;
    if (outcome.error !== undefined) set.error = outcome.error;
    if (outcome.outcomeUnknown) set.outcome_unknown = true;
    return set;
  };
  let writeError: unknown;
  try {
    const result = await calls.bulkWrite(
      entries.map((e) => {
        const filter = postingFilter(e.runId, e.callId, e.requestId);
        return {
          updateOne: {
            filter: { ...filter, ...whereStatus(SyncStatus.InProgress, e.outcome.status) },
            update: { $set: setFor(e.outcome) },
          },
        };
      }),
      { ordered: false },
    );
    if (result.modifiedCount === entries.length) return entries.map(() => true);
  } catch (error) {
    writeError = error;
  }
  const found = new Map(
    (
      await calls
        .find(
          { id: { $in: entries.map((e) => e.callId) } },
          { projection: { id: 1, run_id: 1, sync_status: 1, synced_at: 1, posting_request_id: 1 } },
        )
        .toArray()
    ).map((c) => [c.id, c]),
  );
  const recorded = entries.map((e) => {
    const call = found.get(e.callId);
    return (
      call?.posting_request_id === e.requestId &&
      call.sync_status === e.outcome.status &&
      call.synced_at?.getTime() === now.getTime()
    );
  });
  const pending = entries.some((e) => {
    const call = found.get(e.callId);
    return (
      call?.run_id === e.runId &&
      call.sync_status === SyncStatus.InProgress &&
      call.posting_request_id === e.requestId
    );
  });
  if (pending) throw writeError ?? new Error('an outcome was not recorded');
  return recorded;
}

/**
 * A run's calls in one status, oldest first, by cursor, with only the fields of their results
 * rows (the CSV export streams from it).
 */
export function runCallsInStatus(
  db: Db,
  runId: string,
  status: SyncStatus,
  batchSize = 1000,
): FindCursor<ResultCsvSource> {
  return callsCollection(db)
    .find({ run_id: runId, sync_status: status })
    .project<ResultCsvSource>(RESULT_CSV_PROJECTION)
    .sort({ timestamp: 1, id: 1 })
    .batchSize(batchSize);
}

/** Marks a run's exported calls finished with the file as receipt, in one write. */
export async function finishExportedCalls(
  db: Db,
  runId: string,
  fromStatus: SyncStatus,
  url: string,
  now = new Date(),
): Promise<number> {
  const receipt: SyncReceipt = { kind: 'csv', url };
  const result = await callsCollection(db).updateMany(
    { run_id: runId, ...whereStatus(fromStatus, SyncStatus.Finished) },
    { $set: { sync_status: SyncStatus.Finished, receipt, synced_at: now } },
  );
  return result.modifiedCount;
}

/** Exact counts of a run's calls per status, from the calls themselves (the source of truth). */
export async function countRunCalls(db: Db, runId: string): Promise<Partial<Record<SyncStatus, number>>> {
  const groups = await callsCollection(db)
    .aggregate<{ _id: SyncStatus; count: number }>([
      { $match: { run_id: runId } },
      { $group: { _id: '$sync_status', count: { $sum: 1 } } },
    ])
    .toArray();
  return Object.fromEntries(groups.map((g) => [g._id, g.count]));
}

/** In-progress calls of a run bound for VAN, by cursor: what a resume re-publishes. */
export function unfinishedVanCalls(db: Db, runId: string, batchSize = 500): FindCursor<Pick<Call, 'id'>> {
  return callsCollection(db)
    .find(
      { run_id: runId, sync_status: SyncStatus.InProgress, van_request: { $exists: true } },
      { projection: { id: 1 } },
    )
    .sort({ timestamp: 1, id: 1 })
    .batchSize(batchSize);
}

/** Distinct caller logins of a run, for the caller file. */
export async function runCallerLogins(db: Db, runId: string): Promise<string[]> {
  const groups = await callsCollection(db)
    .aggregate<{ _id: string }>([{ $match: { run_id: runId } }, { $group: { _id: '$caller_login' } }])
    .toArray();
  return groups
    .map((g) => g._id)
    .filter((login): login is string => typeof login === 'string' && login.trim() !== '')
    .sort();
}

/** What a call handed back to the next run loses: everything a run wrote on it. */
const BACK_TO_UNSYNCED = {
  sync_status: '',
  run_id: '',
  display_name: '',
  error: '',
  ...STALE_SYNC_FIELDS,
} as const;

/**
 * A failed hybrid or all-csv run never delivered its `queued_for_csv` calls (the export is what
 * turns them `finished`), and no later run takes a call that is not unsynced: they go back to
 * unsynced, which costs nothing twice (a CSV, unlike a VAN post, may be written again). Under
 * `full` and `bulk`, `queued_for_csv` is where such calls rest.
 */
export async function releaseUndeliveredCsvCalls(db: Db, runId: string): Promise<number> {
  const result = await callsCollection(db).updateMany(
    { run_id: runId, ...whereStatus(SyncStatus.QueuedForCsv, undefined) },
    { $unset: BACK_TO_UNSYNCED },
  );
  return result.modifiedCount;
}

/**
 * When a run fails, its calls still in progress must not stay claimed forever (no later run would
 * take them, and a reset leaves in_progress alone). A call never marked for posting goes back to
 * unsynced, for the next run; a call marked for posting may have reached VAN, so it becomes
 * attempted_error "outcome unknown" — never unsynced, which could post it twice. A writer that
 * tries to mark a released call afterwards finds it no longer in progress and does not post.
 */
export async function releaseUnfinishedCalls(
  db: Db,
  runId: string,
  now = new Date(),
): Promise<{ returnedToUnsynced: number; outcomeUnknown: number }> {
  const calls = callsCollection(db);
  const returned = await calls.updateMany(
    {
      run_id: runId,
      ...whereStatus(SyncStatus.InProgress, undefined),
      posting_started_at: { $exists: false },
    },
    { $unset: BACK_TO_UNSYNCED },
  );
  const unknown = await calls.updateMany(
    {
      run_id: runId,
      ...whereStatus(SyncStatus.InProgress, SyncStatus.AttemptedError),
      posting_started_at: { $exists: true },
    },
    {
      $set: {
        sync_status: SyncStatus.AttemptedError,
        error: `${OUTCOME_UNKNOWN} (the run failed while the call was being posted)`,
        outcome_unknown: true,
        synced_at: now,
      },
    },
  );
  return { returnedToUnsynced: returned.modifiedCount, outcomeUnknown: unknown.modifiedCount };
}
