// The stored values of `calls.sync_status` and the moves between them. Each move is applied as
// a compare-and-set in Mongo (filter on the expected current status); this table is what the
// repositories consult before writing, so an impossible move is refused in one place.

import type { Strategy } from './candidate';

export const SyncStatus = {
  InProgress: 'in_progress',
  Finished: 'finished',
  Ignored: 'ignored',
  QueuedForCsv: 'queued_for_csv',
  AttemptedError: 'attempted_error',
  UnattemptedError: 'unattempted_error',
} as const;

export type SyncStatus = (typeof SyncStatus)[keyof typeof SyncStatus];

/** `undefined` is "unsynced": the field is absent on calls no run has touched. */
export type CallSyncState = SyncStatus | undefined;

export const SYNC_STATUSES: readonly SyncStatus[] = Object.values(SyncStatus);

export function isSyncStatus(value: unknown): value is SyncStatus {
  return typeof value === 'string' && (SYNC_STATUSES as readonly string[]).includes(value);
}

/**
 * Allowed moves, besides a reset (any status → unsynced), which an operator may always do.
 *
 * - unsynced → in_progress: a run claims a call it will post or export.
 * - unsynced → ignored | unattempted_error | queued_for_csv: the extractor decides before it
 *   claims, so calls that need no worker are claimed straight into their outcome (one write).
 * - in_progress → any outcome: the worker records what happened (a CSV export of an
 *   `all csv` call ends `finished`; a VAN post ends `finished` or `attempted_error`).
 * - queued_for_csv → finished: the hybrid export. No intermediate claim is needed because
 *   writing a CSV twice harms nothing (unlike a VAN post), so a crashed export just reruns.
 *
 * Everything else is final until a reset: in particular attempted_error never goes back to
 * in_progress, because re-posting to VAN without a person looking risks a duplicate.
 */
const TRANSITIONS: Readonly<Record<SyncStatus | 'unsynced', readonly SyncStatus[]>> = {
  unsynced: [SyncStatus.InProgress, SyncStatus.Ignored, SyncStatus.UnattemptedError, SyncStatus.QueuedForCsv],
  in_progress: [
    SyncStatus.Finished,
    SyncStatus.AttemptedError,
    SyncStatus.UnattemptedError,
    SyncStatus.QueuedForCsv,
    SyncStatus.Ignored,
  ],
  queued_for_csv: [SyncStatus.Finished],
  finished: [],
  ignored: [],
  attempted_error: [],
  unattempted_error: [],
};

/** Whether a call may move from `from` to `to`; `to = undefined` is a reset. */
export function canTransition(from: CallSyncState, to: CallSyncState): boolean {
  if (to === undefined) return from !== undefined;
  return TRANSITIONS[from ?? 'unsynced'].includes(to);
}

/** The statuses a call may be in to move to `to` (the compare-and-set filter). */
export function allowedSources(to: SyncStatus): CallSyncState[] {
  const sources: CallSyncState[] = [];
  if (TRANSITIONS.unsynced.includes(to)) sources.push(undefined);
  for (const from of SYNC_STATUSES) if (TRANSITIONS[from].includes(to)) sources.push(from);
  return sources;
}

/**
 * Whether no run will move the call again. `queued_for_csv` depends on the strategy: under
 * `full` and `bulk` nobody exports it, so it is where the call rests; under `hybrid` (and if a
 * candidate switches to `all csv`) the export still has to turn it into `finished`.
 */
export function isTerminal(status: CallSyncState, strategy?: Strategy): boolean {
  switch (status) {
    case SyncStatus.Finished:
    case SyncStatus.Ignored:
    case SyncStatus.AttemptedError:
    case SyncStatus.UnattemptedError:
      return true;
    case SyncStatus.QueuedForCsv:
      return strategy === 'full' || strategy === 'bulk';
    default:
      return false;
  }
}

export function isErrorStatus(status: CallSyncState): boolean {
  return status === SyncStatus.AttemptedError || status === SyncStatus.UnattemptedError;
}
