// The `runs` collection as the pipeline opens, finds and moves runs. State changes are
// compare-and-set on the expected state, so of two processes that try to move a run only one
// wins — and only the winner publishes what follows (an export job, a run event).

import { randomUUID } from 'node:crypto';
import type { Db, Filter, UpdateFilter } from 'mongodb';
import {
  canTransitionRun,
  emptyRunCounts,
  RunState,
  scheduleKeyFor,
  type EasternDay,
  type RunCounts,
  type RunTrigger,
  type SyncStatus,
  type TimeWindow,
} from '@call-sync/core';
import { callsCollection, runsCollection, type LeftBehind, type RunDocument } from './collections';

/** States in which a run holds its candidate: another run of it waits meanwhile. */
export const LIVE_RUN_STATES: readonly RunState[] = [
  RunState.Extracting,
  RunState.Writing,
  RunState.Exporting,
];

export interface NewRun {
  candidate: string;
  trigger: RunTrigger;
  window: TimeWindow;
  scheduledAt: Date;
  scheduledDay?: EasternDay;
  dryRun?: boolean;
  resumesRunId?: string;
}

export function newRunDocument(run: NewRun, now = new Date()): RunDocument {
  const runId = randomUUID();
  const doc: RunDocument = {
    _id: runId,
    runId,
    candidate: run.candidate,
    trigger: run.trigger,
    state: RunState.Open,
    window: run.window,
    scheduledAt: run.scheduledAt,
    dryRun: run.dryRun ?? false,
    callsClaimed: 0,
    counts: emptyRunCounts(),
    openedAt: now,
    updatedAt: now,
  };
  if (run.scheduledDay !== undefined) {
    doc.scheduledDay = run.scheduledDay;
    doc.scheduleKey = scheduleKeyFor(run.candidate, run.scheduledDay);
  }
  if (run.resumesRunId !== undefined) doc.resumesRunId = run.resumesRunId;
  return doc;
}

const isDuplicateKey = (error: unknown): boolean => (error as { code?: number }).code === 11000;

/**
 * Opens today's scheduled run of a candidate, or returns undefined when it exists already: the
 * unique `scheduleKey` makes "one scheduled run per candidate per day" hold even when two
 * extractors start at once or an hour repeats at the fall-back change.
 */
export async function openScheduledRun(
  db: Db,
  run: NewRun & { scheduledDay: EasternDay },
): Promise<RunDocument | undefined> {
  const doc = newRunDocument(run);
  try {
    await runsCollection(db).insertOne(doc);
    return doc;
  } catch (error) {
    if (isDuplicateKey(error)) return undefined;
    throw error;
  }
}

/** Records a run request (an operator's "run now", or the CLI's `--window`). */
export async function openRequestedRun(db: Db, run: NewRun): Promise<RunDocument> {
  const doc = newRunDocument(run);
  await runsCollection(db).insertOne(doc);
  return doc;
}

export function findRun(db: Db, runId: string): Promise<RunDocument | null> {
  return runsCollection(db).findOne({ _id: runId });
}

/** Several runs in one read, each id's document or null, in the order of `runIds`. */
export async function findRuns(db: Db, runIds: readonly string[]): Promise<(RunDocument | null)[]> {
  const found = new Map(
    (
      await runsCollection(db)
        .find({ _id: { $in: [...new Set(runIds)] } })
        .toArray()
    ).map((run) => [run._id, run]),
  );
  return runIds.map((id) => found.get(id) ?? null);
}

/** Open runs, oldest first: requested ones wait here until the extractor takes them. */
export function openRuns(db: Db): Promise<RunDocument[]> {
  return runsCollection(db).find({ state: RunState.Open }).sort({ openedAt: 1 }).toArray();
}

export function liveRuns(db: Db): Promise<RunDocument[]> {
  return runsCollection(db)
    .find({ state: { $in: [...LIVE_RUN_STATES] } })
    .sort({ openedAt: 1 })
    .toArray();
}

export async function hasLiveRun(db: Db, candidate: string, exceptRunId?: string): Promise<boolean> {
  const filter: Filter<RunDocument> = { candidate, state: { $in: [...LIVE_RUN_STATES] } };
  if (exceptRunId) filter._id = { $ne: exceptRunId };
  return (await runsCollection(db).countDocuments(filter, { limit: 1 })) > 0;
}

/** The latest scheduled day a candidate has a run for (any state). */
export async function lastScheduledDay(db: Db, candidate: string): Promise<EasternDay | undefined> {
  const [run] = await runsCollection(db)
    .find({ candidate, trigger: 'schedule', scheduledDay: { $exists: true } })
    .sort({ scheduledDay: -1 })
    .limit(1)
    .toArray();
  return run?.scheduledDay;
}

/**
 * Where the last completed scheduled run's window ended: a scheduled run catches up from there. A
 * run requested for one day says nothing of the nights before it, so it does not move this.
 */
export async function lastCompletedWindowEnd(db: Db, candidate: string): Promise<Date | undefined> {
  const [run] = await runsCollection(db)
    .find({ candidate, state: RunState.Completed, dryRun: false, trigger: 'schedule' })
    .sort({ 'window.end': -1 })
    .limit(1)
    .toArray();
  return run?.window.end;
}

/**
 * Moves a run from `from` to `to` if it is still in `from`; returns the updated run, or null
 * when another process moved it first (then the caller does nothing more).
 */
export async function transitionRun(
  db: Db,
  runId: string,
  from: RunState | readonly RunState[],
  to: RunState,
  changes: { set?: Partial<RunDocument>; unset?: (keyof RunDocument)[] } = {},
  now = new Date(),
): Promise<RunDocument | null> {
  const sources = (Array.isArray(from) ? from : [from]) as RunState[];
  for (const source of sources) {
    if (!canTransitionRun(source, to)) throw new Error(`run state ${source} → ${to} is not allowed`);
  }
  const set: Partial<RunDocument> = { ...changes.set, state: to, updatedAt: now };
  if (to === RunState.Completed || to === RunState.Failed) set.finishedAt = now;
  const update: UpdateFilter<RunDocument> = { $set: set };
  if (changes.unset?.length) update.$unset = Object.fromEntries(changes.unset.map((key) => [key, '']));
  return runsCollection(db).findOneAndUpdate({ _id: runId, state: { $in: sources } }, update, {
    returnDocument: 'after',
  });
}

/** Sets fields on a run that is still live (never on a finished one). */
export async function updateLiveRun(
  db: Db,
  runId: string,
  set: Record<string, unknown>,
  unset: string[] = [],
  now = new Date(),
): Promise<boolean> {
  const update: UpdateFilter<RunDocument> = { $set: { ...set, updatedAt: now } };
  if (unset.length) update.$unset = Object.fromEntries(unset.map((key) => [key, '']));
  const result = await runsCollection(db).updateOne(
    { _id: runId, state: { $nin: [RunState.Completed, RunState.Failed] } },
    update,
  );
  return result.modifiedCount === 1;
}

export interface RunCounterDeltas {
  counts?: Partial<Record<SyncStatus, number>>;
  vanRequestsUsed?: number;
  vanDone?: number;
  callsClaimed?: number;
  callsDecided?: number;
  vanCalls?: number;
}

function counterUpdate(deltas: RunCounterDeltas, now: Date): UpdateFilter<RunDocument> {
  const inc: Record<string, number> = {};
  for (const [status, delta] of Object.entries(deltas.counts ?? {}))
    if (delta) inc[`counts.${status}`] = delta;
  if (deltas.vanRequestsUsed) inc.vanRequestsUsed = deltas.vanRequestsUsed;
  if (deltas.vanDone) inc['progress.vanDone'] = deltas.vanDone;
  if (deltas.callsClaimed) inc.callsClaimed = deltas.callsClaimed;
  if (deltas.callsDecided) inc['progress.callsDecided'] = deltas.callsDecided;
  if (deltas.vanCalls) inc['progress.vanCalls'] = deltas.vanCalls;
  const update: UpdateFilter<RunDocument> = { $set: { updatedAt: now, 'progress.lastActivityAt': now } };
  if (Object.keys(inc).length) update.$inc = inc;
  return update;
}

/**
 * Moves counters atomically with `$inc` (one call leaves in_progress, enters its outcome) and
 * records activity, so the status page moves while the run does. The exact counts are recounted
 * from the calls when the run ends, so a crash between an outcome and this increment costs only
 * a moment of imprecision.
 */
export async function incrementRunCounters(
  db: Db,
  runId: string,
  deltas: RunCounterDeltas,
  now = new Date(),
): Promise<void> {
  await runsCollection(db).updateOne({ _id: runId }, counterUpdate(deltas, now));
}

/** `incrementRunCounters` for several runs in one write (a writer's keys side by side). */
export async function incrementRunsCounters(
  db: Db,
  deltas: readonly (RunCounterDeltas & { runId: string })[],
  now = new Date(),
): Promise<void> {
  if (deltas.length === 0) return;
  await runsCollection(db).bulkWrite(
    deltas.map(({ runId, ...delta }) => ({
      updateOne: { filter: { _id: runId }, update: counterUpdate(delta, now) },
    })),
    { ordered: false },
  );
}

export function countsFrom(partial: Partial<Record<SyncStatus, number>>): RunCounts {
  return { ...emptyRunCounts(), ...partial };
}

/**
 * Counts the candidate's unsynced calls a scheduled run opened with `window` leaves behind for
 * good (see LeftBehind) and records them on the run, for its page, the metric and the alert.
 */
export async function recordLeftBehind(
  db: Db,
  run: Pick<RunDocument, '_id' | 'candidate' | 'window'>,
  district: string,
): Promise<LeftBehind | undefined> {
  const [first] = await runsCollection(db)
    .find({ candidate: run.candidate }, { projection: { window: 1 } })
    .sort({ openedAt: 1 })
    .limit(1)
    .toArray();
  if (!first || first.window.start.getTime() >= run.window.start.getTime()) return undefined;
  const leftBehind: LeftBehind = {
    calls: await callsCollection(db).countDocuments({
      district,
      sync_status: { $exists: false },
      timestamp: { $gte: first.window.start, $lt: run.window.start },
    }),
    before: run.window.start,
    since: first.window.start,
  };
  await runsCollection(db).updateOne({ _id: run._id }, { $set: { leftBehind } });
  return leftBehind;
}
