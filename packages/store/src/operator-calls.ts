// The `calls` collection as the operator side uses it: the dialer import, a run's report counts,
// the drop-rate and phone-id checks, and the reset of a window's calls.

import type { AnyBulkWriteOperation, Db, Filter } from 'mongodb';
import { SyncStatus, VAN_RECEIPT_KINDS, type Call, type TimeWindow } from '@call-sync/core';
import { callsCollection } from './collections';

/**
 * `all` and `errors` never include a call VAN holds (a VAN receipt, or a person's confirmation) or
 * may hold (outcome unknown): a reset would post it again, and VAN keeps both contacts. Only the
 * scopes that name exactly those calls return them, after a count the operator repeats back.
 */
export type ResetScope = 'all' | 'errors' | 'outcome-unknown' | 'van-accepted';
export const RESET_SCOPES: readonly ResetScope[] = ['all', 'errors', 'outcome-unknown', 'van-accepted'];
/** The scopes whose calls are (or may be) in VAN already: they need the count repeated back. */
export const RESET_SCOPES_IN_VAN: readonly ResetScope[] = ['outcome-unknown', 'van-accepted'];

interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface OperatorCalls {
  /**
   * Upserts dialer rows by `id`, setting only the dialer's fields: sync_status, run_id,
   * receipt and error are never in the update, so a re-upload cannot un-sync a call.
   */
  upsertDialerCalls(calls: Call[]): Promise<UpsertCounts>;
  countByStatusForRun(runId: string): Promise<Record<string, number>>;
  /** Finished calls whose receipt is VAN's (not a CSV's): what the report calls "synced". */
  countSyncedToVanForRun(runId: string): Promise<number>;
  countByResultForRun(
    runId: string,
  ): Promise<{ displayName: string | undefined; fullOnScreenResult: string | undefined; count: number }[]>;
  errorsForRun(runId: string, limit: number): Promise<{ error: string; count: number }[]>;
  /** Calls of the run whose post may or may not have reached VAN: a person must check them. */
  countOutcomeUnknownForRun(runId: string): Promise<number>;
  receiptsForRun(runId: string, limit: number): Promise<Pick<Call, 'id' | 'sync_status' | 'receipt'>[]>;
  unsyncedInWindow(district: string, window: TimeWindow): AsyncIterable<Call>;
  countResettable(district: string, window: TimeWindow, scope: ResetScope): Promise<number>;
  /** Of those, the calls VAN has (a VAN receipt) or may have (outcome unknown): a reset posts them again. */
  countResettableInVan(district: string, window: TimeWindow, scope: ResetScope): Promise<number>;
  reset(district: string, window: TimeWindow, scope: ResetScope): Promise<number>;
  countDropsAndContacts(
    serviceName: string,
    window: TimeWindow,
  ): Promise<{ drops: number; contacts: number }>;
  /** A district's calls started since `since`, and how many of them carry VAN's phone id. */
  countPhoneIds(district: string, since: Date): Promise<{ calls: number; withPhoneId: number }>;
  /**
   * A person's search for a call: exact values of one key, newest first, only of `candidates`
   * when named (an organiser limited to some). Each key has its index (mongo.ts).
   */
  findCalls(
    key: CallSearchKey,
    values: string[],
    options: { candidates?: readonly string[]; limit: number },
  ): Promise<Call[]>;
}

/** The fields a person may look a call up by, each served by an index of `calls`. */
const CALL_SEARCH_FIELDS = {
  voter: 'voter_id',
  phone: 'phone_dialed',
  call: 'id',
  account: 'account_number',
} as const satisfies Record<string, keyof Call>;
export type CallSearchKey = keyof typeof CALL_SEARCH_FIELDS;

// The fields a sync owns; the import never writes them, a reset removes them.
const SYNC_FIELDS = [
  'sync_status',
  'run_id',
  'receipt',
  'error',
  'synced_at',
  'attempts',
  'outcome_unknown',
  'posting_started_at',
  'posting_request_id',
  'posting_lease_until',
  'van_request',
  'resolution',
  'repost_lease_until',
] as const;

/**
 * `in_progress` is never reset: a worker holds that call and may be posting it right now, and
 * returning it to unsynced could have it posted twice (a duplicate in a voter file is forever).
 */
function resetFilter(district: string, window: TimeWindow, scope: ResetScope): Filter<Call> {
  const inWindow = { district, timestamp: { $gte: window.start, $lt: window.end } };
  if (scope === 'outcome-unknown')
    return { ...inWindow, sync_status: SyncStatus.AttemptedError, outcome_unknown: true };
  if (scope === 'van-accepted')
    return { ...inWindow, sync_status: SyncStatus.Finished, 'receipt.kind': { $in: [...VAN_RECEIPT_KINDS] } };
  const statuses =
    scope === 'errors'
      ? [SyncStatus.AttemptedError, SyncStatus.UnattemptedError]
      : [
          SyncStatus.Finished,
          SyncStatus.Ignored,
          SyncStatus.QueuedForCsv,
          SyncStatus.AttemptedError,
          SyncStatus.UnattemptedError,
        ];
  return {
    ...inWindow,
    sync_status: { $in: statuses },
    outcome_unknown: { $ne: true },
    'receipt.kind': { $nin: [...VAN_RECEIPT_KINDS] },
  };
}

export function createOperatorCalls(db: Db): OperatorCalls {
  const calls = callsCollection(db);
  return {
    async upsertDialerCalls(batch) {
      if (batch.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
      const operations: AnyBulkWriteOperation<Call>[] = batch.map((call) => {
        const dialerFields: Partial<Call> = { ...call };
        for (const field of SYNC_FIELDS) delete dialerFields[field];
        return { updateOne: { filter: { id: call.id }, update: { $set: dialerFields }, upsert: true } };
      });
      // Unordered: one failing row (which the parser should have caught) cannot stop the batch.
      const result = await calls.bulkWrite(operations, { ordered: false });
      return {
        inserted: result.upsertedCount,
        updated: result.modifiedCount,
        unchanged: result.matchedCount - result.modifiedCount,
      };
    },
    countSyncedToVanForRun(runId) {
      return calls.countDocuments({
        run_id: runId,
        sync_status: SyncStatus.Finished,
        'receipt.kind': { $in: [...VAN_RECEIPT_KINDS] },
      });
    },
    async countByStatusForRun(runId) {
      const rows = await calls
        .aggregate<{ _id: string | null; count: number }>([
          { $match: { run_id: runId } },
          { $group: { _id: '$sync_status', count: { $sum: 1 } } },
        ])
        .toArray();
      return Object.fromEntries(rows.filter((r) => r._id).map((r) => [r._id as string, r.count]));
    },
    async countByResultForRun(runId) {
      const rows = await calls
        .aggregate<{ _id: { d?: string; r?: string }; count: number }>([
          { $match: { run_id: runId } },
          { $group: { _id: { d: '$display_name', r: '$full_on_screen_result' }, count: { $sum: 1 } } },
        ])
        .toArray();
      return rows.map((r) => ({
        displayName: r._id.d ?? undefined,
        fullOnScreenResult: r._id.r ?? undefined,
        count: r.count,
      }));
    },
    async errorsForRun(runId, limit) {
      const rows = await calls
        .aggregate<{ _id: string; count: number }>([
          { $match: { run_id: runId, error: { $exists: true } } },
          { $group: { _id: '$error', count: { $sum: 1 } } },
          { $sort: { count: -1 } },
        ])
        .toArray();
      return rows.slice(0, limit).map((r) => ({ error: r._id, count: r.count }));
    },
    countOutcomeUnknownForRun: (runId) => calls.countDocuments({ run_id: runId, outcome_unknown: true }),
    receiptsForRun: (runId, limit) =>
      calls
        .find(
          { run_id: runId, receipt: { $exists: true } },
          { projection: { _id: 0, id: 1, sync_status: 1, receipt: 1 } },
        )
        .limit(limit)
        .toArray(),
    unsyncedInWindow(district, window) {
      return calls.find(
        { district, timestamp: { $gte: window.start, $lt: window.end }, sync_status: { $exists: false } },
        { projection: { _id: 0 } },
      );
    },
    countResettable: (district, window, scope) => calls.countDocuments(resetFilter(district, window, scope)),
    countResettableInVan: (district, window, scope) =>
      calls.countDocuments({
        ...resetFilter(district, window, scope),
        $or: [
          { sync_status: SyncStatus.Finished, 'receipt.kind': { $in: [...VAN_RECEIPT_KINDS] } },
          { sync_status: SyncStatus.AttemptedError, outcome_unknown: true },
        ],
      }),
    async reset(district, window, scope) {
      const unset = Object.fromEntries(SYNC_FIELDS.map((field) => [field, ''])) as Record<string, ''>;
      const result = await calls.updateMany(resetFilter(district, window, scope), { $unset: unset });
      return result.modifiedCount;
    },
    async countDropsAndContacts(serviceName, window) {
      const inWindow = { service_name: serviceName, timestamp: { $gte: window.start, $lt: window.end } };
      const [drops, contacts] = await Promise.all([
        calls.countDocuments({ ...inWindow, dropped: true }),
        calls.countDocuments({ ...inWindow, contact: true }),
      ]);
      return { drops, contacts };
    },
    // Served by district_status_time (district bounds the scan; the time range is checked in
    // the index): an occasional page load, not worth a calls index every import must maintain.
    async countPhoneIds(district, since) {
      const recent = { district, timestamp: { $gte: since } };
      const [total, withPhoneId] = await Promise.all([
        calls.countDocuments(recent),
        calls.countDocuments({ ...recent, phone_id: { $exists: true } }),
      ]);
      return { calls: total, withPhoneId };
    },
    findCalls(key, values, { candidates, limit }) {
      const filter: Filter<Call> = { [CALL_SEARCH_FIELDS[key]]: { $in: values } };
      if (candidates) filter.client = { $in: [...candidates] };
      return calls
        .find(filter, { projection: { _id: 0 } })
        .sort({ timestamp: -1 })
        .limit(limit)
        .toArray();
    },
  };
}
