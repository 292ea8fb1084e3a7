// A continuous candidate's day (listing column Sync Mode = continuous): the run of a nightly
// window (docs/behaviour.md#a-run) is opened when the window begins, takes each call once it has settled (finished a settle
// delay ago, so the dialer's final result is in), and closes at the window's end plus that delay,
// when it exports and reports exactly as a nightly run of the same window would.

import type { Call } from './call';
import type { Candidate } from './candidate';
import { addDays, easternDayOf, type EasternDay } from './eastern-time';
import { scheduledTimeFor } from './time-window';
import type { VanMetadata } from './van-canvass';

/** What a continuous run keeps beside the fields every run has. */
export interface ContinuousDay {
  /** Calls are claimed this long after their finish. */
  settleMs: number;
  /** The last claim, then the CSV, the caller file and the report: the window's end plus the settle delay. */
  closesAt: Date;
  /** Cycles that claimed for this day so far, and when the last one ended. */
  cycles: number;
  lastCycleAt?: Date;
  /** Livevox call detail has been read up to here (the next pull overlaps it). */
  pulledUntil?: Date;
  /**
   * The extractor running the day's cycle holds it until then. A lease found expired but still
   * set means its holder died mid-cycle: the next holder re-publishes the day's unfinished work.
   */
  leaseUntil?: Date;
  /** VAN metadata read when the day opened: once per run, not once per cycle (every read is billed). */
  vanMetadata?: VanMetadata;
}

/**
 * The day whose run is open at `now` for a continuous candidate: the one whose Sync Time is the
 * first after `now`. At the Sync Time itself the next day opens (the window's end is excluded).
 */
export function continuousDayFor(
  candidate: Pick<Candidate, 'syncHourEastern'>,
  now: Date,
): { day: EasternDay; scheduledAt: Date } {
  const today = easternDayOf(now);
  const todayAt = scheduledTimeFor(today, candidate.syncHourEastern);
  if (now.getTime() < todayAt.getTime()) return { day: today, scheduledAt: todayAt };
  const day = addDays(today, 1);
  return { day, scheduledAt: scheduledTimeFor(day, candidate.syncHourEastern) };
}

/** Whether a call finished at or before `cutoff` (a call without a finish time counts from its start). */
export function hasSettled(call: Pick<Call, 'finish_time' | 'timestamp'>, cutoff: Date): boolean {
  return (call.finish_time ?? call.timestamp).getTime() <= cutoff.getTime();
}
