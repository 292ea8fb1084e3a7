// The continuous candidates' days (core continuous-day.ts), one cycle at a time: every few minutes
// the `extract --continuous` CronJob (and the hourly `extract` too, so that nothing depends on the
// short schedule) opens the day that has begun, pulls the calls Livevox has finished since the last
// pull, claims and publishes those that have settled, and at the day's close claims the rest of the
// window and hands the run on exactly as a nightly extraction does: van-writer, CSV, caller file,
// report. Claims are the same compare-and-set as at night, so each call is claimed once.
//
// A late call — one whose row reaches MongoDB after its day closed (a late import, a dialer that
// reports late) — is caught by the catch-up rule only if that day failed; a completed day is done.
// So each cycle also takes the unsynced calls of the previous window (one window of look-back):
// a late call goes with the next day's run and its report, never left behind.

import type { Db } from 'mongodb';
import {
  continuousDayFor,
  easternDayOf,
  RunState,
  SyncStatus,
  type ContinuousDay,
  type TimeWindow,
} from '@call-sync/core';
import type { Configuration, ConfigurationListing } from '@call-sync/integrations';
import type { Logger } from '@call-sync/platform';
import {
  failRun,
  handOnClaimedRun,
  liveRuns,
  newRunDocument,
  runsCollection,
  updateLiveRun,
  type RunDocument,
} from '@call-sync/store';
import { claimRunCalls } from './claim-calls';
import { unusableConfiguration, type ExtractionDeps } from './extract-runs';
import { windowTakingAlong } from './open-due-runs';
import { pullLivevoxCalls } from './pull-livevox-calls';
import { noProgressFor, republishUnfinishedVanCalls } from './resume-runs';

export interface ContinuousOptions {
  /** The schedule's instant (`--now` replays another): which day is open, what has settled, when it closes. */
  now: Date;
  settleMs: number;
  maxCatchUpDays: number;
  /** Real time without progress after which a day's claimed calls are published again. */
  stallAfterMs: number;
  /** How long one cycle may hold a day before another extractor takes over (its holder died). */
  leaseMs: number;
  candidate?: string;
}

type CycleOutcome = 'claimed' | 'closed' | 'busy' | 'failed';

export interface CycleResult {
  runId: string;
  candidate: string;
  outcome: CycleOutcome;
  claimed: number;
  republished: number;
}

/**
 * Each pull reads again this much before where the last one ended (the first pull of a day, before
 * its start): calls Livevox reports late — long ones, the last of the previous day — are not missed.
 */
const PULL_OVERLAP_MS = 60 * 60_000;

const isDuplicateKey = (error: unknown): boolean => (error as { code?: number }).code === 11000;

/**
 * Opens the current day of every active continuous candidate: the run of the window (docs/behaviour.md#a-run) that
 * ends at the candidate's next Sync Time, under the same unique schedule key as a nightly run of
 * that day, so a day opens once however many extractors try.
 */
export async function openContinuousDays(
  db: Db,
  logger: Logger,
  configuration: ConfigurationListing,
  options: Pick<ContinuousOptions, 'now' | 'settleMs' | 'maxCatchUpDays' | 'candidate'>,
): Promise<RunDocument[]> {
  const opened: RunDocument[] = [];
  for (const { candidate } of configuration.candidates.values()) {
    if (options.candidate !== undefined && candidate.slug !== options.candidate) continue;
    if (!candidate.active || candidate.syncMode !== 'continuous') continue;
    const { day, scheduledAt } = continuousDayFor(candidate, options.now);
    const window = await windowTakingAlong(db, candidate, scheduledAt, options.maxCatchUpDays);
    const continuous: ContinuousDay = {
      settleMs: options.settleMs,
      closesAt: new Date(window.end.getTime() + options.settleMs),
      cycles: 0,
    };
    // Marked continuous in the same insert: a day without the mark would be extracted as a night.
    const run: RunDocument = {
      ...newRunDocument({
        candidate: candidate.slug,
        trigger: 'schedule',
        window,
        scheduledAt,
        scheduledDay: day,
      }),
      continuous,
    };
    try {
      await runsCollection(db).insertOne(run);
    } catch (error) {
      if (isDuplicateKey(error)) continue;
      throw error;
    }
    opened.push(run);
    logger.info({ runId: run.runId, candidate: candidate.slug, window }, 'continuous day opened');
  }
  return opened;
}

/** Takes the day for one cycle; returns the run as taken and whether its last holder died mid-cycle. */
async function takeLease(
  db: Db,
  run: RunDocument,
  leaseMs: number,
): Promise<{ run: RunDocument; holderDied: boolean } | undefined> {
  const now = new Date();
  const taken = await runsCollection(db).findOneAndUpdate(
    {
      _id: run._id,
      state: RunState.Extracting,
      $or: [{ 'continuous.leaseUntil': { $exists: false } }, { 'continuous.leaseUntil': { $lte: now } }],
    } as never,
    { $set: { 'continuous.leaseUntil': new Date(now.getTime() + leaseMs) } } as never,
    { returnDocument: 'before' },
  );
  if (!taken?.continuous) return undefined;
  const holderDied = taken.continuous.leaseUntil !== undefined;
  return { run: { ...taken, continuous: { ...taken.continuous } }, holderDied };
}

/** The claim window of a cycle: the day's window plus the previous one for late calls (see the top). */
function claimWindow(run: RunDocument): TimeWindow {
  const length = run.window.end.getTime() - run.window.start.getTime();
  return { start: new Date(run.window.start.getTime() - length), end: run.window.end };
}

/** What Livevox is asked for: what finished since the last pull (with an overlap for long calls). */
function pullWindow(run: RunDocument, until: Date): TimeWindow | undefined {
  const start = new Date((run.continuous?.pulledUntil ?? run.window.start).getTime() - PULL_OVERLAP_MS);
  const end = until.getTime() < run.window.end.getTime() ? until : run.window.end;
  return start.getTime() < end.getTime() ? { start, end } : undefined;
}

/** Why the day's claimed calls must go on the topic again, if they must. */
function resumeReason(run: RunDocument, holderDied: boolean, options: ContinuousOptions): string | undefined {
  if (holderDied) return 'the last cycle stopped before it ended';
  const realNow = new Date();
  if (run.waitingFor !== undefined) {
    const since = (run as RunDocument & { waitingSince?: Date }).waitingSince ?? run.updatedAt;
    return easternDayOf(since) === easternDayOf(realNow) ? undefined : 'a new day of VAN budget';
  }
  const lastActivity = run.progress?.lastActivityAt ?? run.startedAt ?? run.updatedAt;
  const inProgress = run.counts[SyncStatus.InProgress];
  return inProgress > 0 && realNow.getTime() - lastActivity.getTime() >= options.stallAfterMs
    ? noProgressFor(options.stallAfterMs)
    : undefined;
}

/** One cycle of one continuous day that is being extracted. */
async function runContinuousCycle(
  deps: ExtractionDeps,
  configuration: Configuration,
  found: RunDocument,
  options: ContinuousOptions,
): Promise<CycleResult> {
  const result: CycleResult = {
    runId: found.runId,
    candidate: found.candidate,
    outcome: 'busy',
    claimed: 0,
    republished: 0,
  };
  const lease = await takeLease(deps.db, found, options.leaseMs);
  if (!lease) return result;
  const { run } = lease;
  const day = run.continuous!;
  const closing = options.now.getTime() >= day.closesAt.getTime();

  // The writers are at most once per call (their posting mark), so publishing a claimed call
  // again is always safe; not publishing it could leave it claimed for good.
  const reason = resumeReason(run, lease.holderDied, options);
  if (reason !== undefined) {
    await updateLiveRun(deps.db, run.runId, { 'progress.lastActivityAt': new Date() }, [
      'waitingFor',
      'waitingSince',
    ]);
    result.republished = await republishUnfinishedVanCalls(
      { ...deps, vanSyncBatchSize: deps.settings.VAN_SYNC_BATCH_SIZE },
      run,
    );
    deps.logger.warn(
      { runId: run.runId, candidate: run.candidate, reason, republished: result.republished },
      'continuous day: claimed calls published again',
    );
  }

  const config = configuration.candidates.get(run.candidate);
  const unusable = config ? unusableConfiguration(config) : `unknown candidate "${run.candidate}"`;
  if (!config || unusable) {
    // Mid-day the organisers may be fixing the row: the calls wait. At the close the day fails,
    // its calls return to unsynced, and the next day's look-back takes them.
    if (closing) {
      await failRun(deps, run.runId, unusable ?? 'configuration unusable');
      result.outcome = 'failed';
    } else {
      await updateLiveRun(deps.db, run.runId, { waitingFor: unusable }, ['continuous.leaseUntil']);
    }
    return result;
  }

  const pull = pullWindow(run, options.now);
  if (deps.livevox && pull) {
    await pullLivevoxCalls(deps.db, deps.logger, deps.livevox, configuration, config, pull);
  }
  const summary = await claimRunCalls(
    { ...deps, vanSyncBatchSize: deps.settings.VAN_SYNC_BATCH_SIZE },
    { ...run, window: claimWindow(run) },
    config,
    day.vanMetadata,
    closing ? {} : { settledBy: new Date(options.now.getTime() - day.settleMs) },
  );
  result.claimed = Object.values(summary.counts).reduce((sum, n) => sum + n, 0);
  await updateLiveRun(
    deps.db,
    run.runId,
    {
      'continuous.cycles': day.cycles + 1,
      'continuous.lastCycleAt': new Date(),
      ...(pull ? { 'continuous.pulledUntil': pull.end } : {}),
    },
    ['continuous.leaseUntil', ...(run.waitingFor?.startsWith('configuration') ? ['waitingFor'] : [])],
  );
  if (!closing) {
    result.outcome = 'claimed';
    return result;
  }
  await handOnClaimedRun(deps, run);
  deps.logger.info({ runId: run.runId, candidate: run.candidate }, 'continuous day closed');
  result.outcome = 'closed';
  return result;
}

/** One cycle of every continuous day being extracted, oldest first. */
export async function runContinuousCycles(
  deps: ExtractionDeps,
  configuration: Configuration,
  options: ContinuousOptions,
): Promise<CycleResult[]> {
  const results: CycleResult[] = [];
  for (const run of await liveRuns(deps.db)) {
    if (!run.continuous || run.state !== RunState.Extracting) continue;
    if (options.candidate !== undefined && run.candidate !== options.candidate) continue;
    results.push(await runContinuousCycle(deps, configuration, run, options));
  }
  return results;
}
