// Which runs the extractor opens by itself: each active candidate's nightly run once its Sync
// Time (Eastern) has come, and, from the command line, a run for a named day.

import type { Db } from 'mongodb';
import {
  isDue,
  scheduledRunFor,
  windowForDay,
  windowWithCatchUp,
  type Candidate,
  type EasternDay,
  type TimeWindow,
} from '@call-sync/core';
import type { ConfigurationListing } from '@call-sync/integrations';
import type { Logger } from '@call-sync/platform';
import {
  lastCompletedWindowEnd,
  lastScheduledDay,
  openRequestedRun,
  openScheduledRun,
  recordLeftBehind,
  type RunDocument,
} from '@call-sync/store';
import { handleKeyedQueues } from './extraction-turns';

/**
 * Candidates whose runs are opened side by side: each opening is a few small reads and a write,
 * and forty candidates one after another kept the first claims waiting for all of them.
 */
const OPENED_AT_ONCE = 16;

export interface OpenRunsOptions {
  now: Date;
  maxCatchUpDays: number;
  /** Only this candidate (the `--candidate` flag). */
  candidate?: string;
}

/**
 * The window of a candidate's run scheduled at `scheduledAt`: a night that never completed
 * (outage, budget spent) is taken along, within the limit.
 */
export async function windowTakingAlong(
  db: Db,
  candidate: Pick<Candidate, 'slug' | 'syncHourEastern'>,
  scheduledAt: Date,
  maxCatchUpDays: number,
): Promise<TimeWindow> {
  return windowWithCatchUp({
    scheduledAt,
    syncHour: candidate.syncHourEastern,
    lastCompletedEnd: await lastCompletedWindowEnd(db, candidate.slug),
    maxCatchUpDays,
  });
}

/**
 * Opens today's scheduled run of every active candidate that is due. The unique schedule key
 * makes this safe to run every hour and from two places at once: a day opens one run.
 */
export async function openDueRuns(
  db: Db,
  logger: Logger,
  configuration: ConfigurationListing,
  options: OpenRunsOptions,
): Promise<RunDocument[]> {
  const candidates = [...configuration.candidates.values()]
    .map(({ candidate }) => candidate)
    .filter((candidate) => options.candidate === undefined || candidate.slug === options.candidate)
    // Its day opened when its window began (continuous-cycle.ts) and closes at this Sync Time.
    .filter((candidate) => candidate.syncMode !== 'continuous');
  const opened = await handleKeyedQueues(
    candidates,
    (candidate) => candidate.slug,
    OPENED_AT_ONCE,
    async (candidate): Promise<RunDocument | undefined> => {
      if (!isDue(candidate, options.now, await lastScheduledDay(db, candidate.slug))) return undefined;
      const { day, scheduledAt } = scheduledRunFor(candidate, options.now);
      const window = await windowTakingAlong(db, candidate, scheduledAt, options.maxCatchUpDays);
      const run = await openScheduledRun(db, {
        candidate: candidate.slug,
        trigger: 'schedule',
        window,
        scheduledAt,
        scheduledDay: day,
      });
      if (!run) return undefined;
      logger.info({ runId: run.runId, candidate: candidate.slug, window }, 'scheduled run opened');
      const leftBehind = await recordLeftBehind(db, run, candidate.district);
      if (leftBehind && leftBehind.calls > 0) {
        run.leftBehind = leftBehind;
        logger.warn(
          { runId: run.runId, candidate: candidate.slug, leftBehind },
          `${leftBehind.calls} unsynced calls are older than this run's window and no scheduled run will take them: request a run for their days`,
        );
      }
      return run;
    },
  );
  // In the listing's order, whatever order they were opened in.
  return opened.filter((run): run is RunDocument => run !== undefined);
}

/** `extract --window YYYY-MM-DD`: a requested run over that Eastern day for each (or one) active candidate. */
export async function openRunsForDay(
  db: Db,
  configuration: ConfigurationListing,
  day: EasternDay,
  options: { now: Date; candidate?: string },
): Promise<RunDocument[]> {
  const opened: RunDocument[] = [];
  for (const { candidate } of configuration.candidates.values()) {
    if (options.candidate !== undefined ? candidate.slug !== options.candidate : !candidate.active) continue;
    opened.push(
      await openRequestedRun(db, {
        candidate: candidate.slug,
        trigger: 'request',
        window: windowForDay(day),
        scheduledAt: options.now,
      }),
    );
  }
  return opened;
}
