// The calls whose VAN post may or may not have landed, as the people who settle them see them
// (docs/outcome-unknown.md). A person either finds the contact in VAN ("in VAN": finished, with a
// receipt naming them) or does not ("not in VAN": posted once more). The re-post keeps the call
// outcome unknown until VAN's answer is recorded, under a lease only one request can hold, so a
// crash or a second click never posts it twice: the call simply stays on the worklist.

import { randomUUID } from 'node:crypto';
import type { Db, Filter } from 'mongodb';
import { Collections } from '@call-sync/platform';
import {
  SyncStatus,
  type Call,
  type OutcomeResolution,
  type SyncReceipt,
  type TimeWindow,
} from '@call-sync/core';
import { callsCollection, runsCollection } from './collections';
import { OUTCOME_UNKNOWN, projectionOf } from './pipeline-calls';

export interface OutcomeUnknownQuery {
  /** Only these candidates (an organiser's); undefined: every candidate. */
  candidates?: readonly string[];
  runId?: string;
  /** Calls made in this window (the Eastern day a person picked). */
  window?: TimeWindow;
  limit: number;
}

const WORKLIST_FIELDS = [
  'id',
  'client',
  'run_id',
  'account_number',
  'voter_id',
  'first_name',
  'last_name',
  'phone_dialed',
  'timestamp',
  'full_on_screen_result',
  'display_name',
  'error',
  'van_request',
  'posting_started_at',
  'posting_request_id',
  'attempts',
  'repost_lease_until',
] as const satisfies readonly (keyof Call)[];
const WORKLIST_PROJECTION = projectionOf(WORKLIST_FIELDS);

/** A call on the worklist: what a person needs to look for it in VAN. */
export type OutcomeUnknownCall = Pick<Call, (typeof WORKLIST_FIELDS)[number]>;

/** The filter every worklist read starts from: served by the sparse `outcome_unknown` index. */
const UNKNOWN = { outcome_unknown: true, sync_status: SyncStatus.AttemptedError } as const;

function worklistFilter(query: Omit<OutcomeUnknownQuery, 'limit'>): Filter<Call> {
  const filter: Filter<Call> = { ...UNKNOWN };
  if (query.candidates) filter.client = { $in: [...query.candidates] };
  if (query.runId) filter.run_id = query.runId;
  if (query.window) filter.timestamp = { $gte: query.window.start, $lt: query.window.end };
  return filter;
}

/**
 * The calls to resolve, oldest call first, with how many there are in all. They are few (a crash
 * leaves at most the writer's window), so they are sorted here rather than by a second index.
 */
export async function listOutcomeUnknown(
  db: Db,
  query: OutcomeUnknownQuery,
): Promise<{ calls: OutcomeUnknownCall[]; total: number }> {
  const filter = worklistFilter(query);
  const [found, total] = await Promise.all([
    callsCollection(db).find(filter, { projection: WORKLIST_PROJECTION }).limit(query.limit).toArray(),
    callsCollection(db).countDocuments(filter),
  ]);
  found.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime() || a.id.localeCompare(b.id));
  return { calls: found as OutcomeUnknownCall[], total };
}

/** Outcome-unknown calls per candidate, in `calls` and in the archive: what is left to resolve. */
export async function countOutcomeUnknownByCandidate(db: Db): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const collection of [Collections.Calls, Collections.CallsArchive]) {
    const groups = await db
      .collection<Call>(collection)
      .aggregate<{ _id: string | null; n: number }>([
        { $match: { outcome_unknown: true } },
        { $group: { _id: '$client', n: { $sum: 1 } } },
      ])
      .toArray();
    for (const group of groups) {
      const key = group._id ?? '';
      counts.set(key, (counts.get(key) ?? 0) + group.n);
    }
  }
  return counts;
}

/** Why a call could not be resolved as asked. */
export type ResolveRefusal = 'not_outcome_unknown' | 'repost_in_flight' | 'no_van_request';

const NOT_UNKNOWN_DETAIL: Record<ResolveRefusal, string> = {
  not_outcome_unknown: 'the call is not (or no longer) outcome unknown',
  repost_in_flight: 'a re-post of this call is in flight; look again in a minute',
  no_van_request: 'the call has no VAN request stored to post again; reset it instead',
};

export const describeRefusal = (reason: ResolveRefusal): string => NOT_UNKNOWN_DETAIL[reason];

/** No re-post holds the call: none started, or its lease ran out (its process died mid-post). */
function noLiveRepost(now: Date): Filter<Call> {
  return { $or: [{ repost_lease_until: { $exists: false } }, { repost_lease_until: { $lt: now } }] };
}

/** Moves a run's counters for calls a person settled after the run ended (no other field). */
async function moveRunCounts(db: Db, runId: string | undefined, to: SyncStatus): Promise<void> {
  if (!runId || to === SyncStatus.AttemptedError) return;
  await runsCollection(db).updateOne(
    { _id: runId },
    { $inc: { [`counts.${SyncStatus.AttemptedError}`]: -1, [`counts.${to}`]: 1 } },
  );
}

/**
 * "It is in VAN": the call becomes finished with a receipt naming who confirmed it. Compare-and-set
 * on the call still being outcome unknown with no re-post in flight, so two people (or a person and
 * a re-post) cannot both settle it.
 */
export async function confirmInVan(
  db: Db,
  callId: string,
  by: string,
  now = new Date(),
): Promise<{ ok: true; call: Call } | { ok: false; reason: ResolveRefusal }> {
  const calls = callsCollection(db);
  const current = await calls.findOne({ id: callId });
  if (!current?.outcome_unknown || current.sync_status !== SyncStatus.AttemptedError)
    return { ok: false, reason: 'not_outcome_unknown' };
  const receipt: SyncReceipt = {
    kind: 'van-confirmed',
    confirmedBy: by,
    confirmedAt: now,
    ...(current.posting_request_id ? { requestId: current.posting_request_id } : {}),
  };
  const resolution: OutcomeResolution = { verdict: 'in-van', by, at: now };
  const updated = await calls.findOneAndUpdate(
    { id: callId, ...UNKNOWN, $and: [noLiveRepost(now)] },
    {
      $set: { sync_status: SyncStatus.Finished, receipt, resolution, synced_at: now },
      $unset: { outcome_unknown: '', error: '', repost_lease_until: '' },
    },
    { returnDocument: 'after' },
  );
  if (!updated) return { ok: false, reason: 'repost_in_flight' };
  await moveRunCounts(db, updated.run_id, SyncStatus.Finished);
  return { ok: true, call: updated };
}

/** A person's re-post that owns its call: the request may leave. */
export interface RepostLease {
  call: Call & { van_request: NonNullable<Call['van_request']> };
  requestId: string;
  /** The mark and error the call had before: restored when the re-post never left. */
  previous: Pick<Call, 'error' | 'posting_started_at' | 'posting_request_id'>;
}

/**
 * "It is not in VAN", step 1: takes the call for one re-post. The call stays attempted_error and
 * outcome unknown (a crash from here on leaves it for a person, never posted twice); the new
 * request id and the lease are the at-most-once mark. Only one request can hold the lease.
 */
export async function beginRepost(
  db: Db,
  callId: string,
  options: { by: string; leaseMs: number; now?: Date },
): Promise<{ ok: true; lease: RepostLease } | { ok: false; reason: ResolveRefusal }> {
  const now = options.now ?? new Date();
  const calls = callsCollection(db);
  const current = await calls.findOne({ id: callId });
  if (!current?.outcome_unknown || current.sync_status !== SyncStatus.AttemptedError)
    return { ok: false, reason: 'not_outcome_unknown' };
  if (!current.van_request) return { ok: false, reason: 'no_van_request' };
  const requestId = randomUUID();
  const marked = await calls.findOneAndUpdate(
    { id: callId, ...UNKNOWN, $and: [noLiveRepost(now)] },
    {
      $set: {
        posting_started_at: now,
        posting_request_id: requestId,
        repost_lease_until: new Date(now.getTime() + options.leaseMs),
        error: `${OUTCOME_UNKNOWN} (a re-post by ${options.by} left at ${now.toISOString()})`,
      },
      $inc: { attempts: 1 },
    },
    { returnDocument: 'after' },
  );
  if (!marked?.van_request) return { ok: false, reason: 'repost_in_flight' };
  const previous = {
    error: current.error,
    posting_started_at: current.posting_started_at,
    posting_request_id: current.posting_request_id,
  };
  return { ok: true, lease: { call: marked as RepostLease['call'], requestId, previous } };
}

/** What VAN made of a person's re-post. */
export type RepostOutcome =
  | { kind: 'accepted'; receipt: SyncReceipt }
  | { kind: 'rejected'; error: string }
  /** The request never reached VAN (throttled, budget spent, no connection): nothing changed. */
  | { kind: 'not-sent'; reason: string }
  /** It may have reached VAN: still outcome unknown, for a person to look again. */
  | { kind: 'unknown'; reason: string };

/**
 * "It is not in VAN", step 2: records VAN's answer, only while this re-post still owns the call
 * (its request id). Accepted: finished; rejected: attempted_error with VAN's error, no longer
 * unknown; otherwise the call stays outcome unknown without a lease, back on the worklist.
 */
export async function finishRepost(
  db: Db,
  lease: RepostLease,
  outcome: RepostOutcome,
  by: string,
  now = new Date(),
): Promise<boolean> {
  const owned = { id: lease.call.id, ...UNKNOWN, posting_request_id: lease.requestId };
  const resolution: OutcomeResolution = { verdict: 'not-in-van', by, at: now };
  const calls = callsCollection(db);
  if (outcome.kind === 'accepted' || outcome.kind === 'rejected') {
    const status = outcome.kind === 'accepted' ? SyncStatus.Finished : SyncStatus.AttemptedError;
    const set: Partial<Call> = { sync_status: status, resolution, synced_at: now };
    if (outcome.kind === 'accepted') set.receipt = outcome.receipt;
    else set.error = outcome.error;
    const unset: Record<string, ''> = { outcome_unknown: '', repost_lease_until: '' };
    if (outcome.kind === 'accepted') unset.error = '';
    const result = await calls.updateOne(owned, { $set: set, $unset: unset });
    if (result.modifiedCount === 1) await moveRunCounts(db, lease.call.run_id, status);
    return result.modifiedCount === 1;
  }
  // The earlier mark is what a person compares with VAN's contact history: a request that never
  // left restores it, one that may have arrived keeps the new one with the reason.
  const { previous } = lease;
  const set: Partial<Call> =
    outcome.kind === 'not-sent'
      ? {
          error: previous.error ?? OUTCOME_UNKNOWN,
          ...(previous.posting_started_at ? { posting_started_at: previous.posting_started_at } : {}),
          ...(previous.posting_request_id ? { posting_request_id: previous.posting_request_id } : {}),
        }
      : { error: `${OUTCOME_UNKNOWN} (${outcome.reason}; re-posted by ${by})` };
  const result = await calls.updateOne(owned, {
    $set: set,
    $unset: { repost_lease_until: '' },
    ...(outcome.kind === 'not-sent' ? { $inc: { attempts: -1 } } : {}),
  });
  return result.modifiedCount === 1;
}
