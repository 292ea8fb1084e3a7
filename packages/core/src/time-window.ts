// Run windows and schedules on the Eastern wall clock. Both ends of every window come from
// `scheduledTimeFor`, so consecutive nightly windows tile time with no gap and no overlap even
// when a DST change makes a "day" 23 or 25 hours long.

import type { Candidate } from './candidate';
import { addDays, easternDayOf, easternInstant, parseEasternDay, type EasternDay } from './eastern-time';

/** `start` included, `end` excluded. */
export interface TimeWindow {
  start: Date;
  end: Date;
}

function assertHour(hour: number): void {
  if (!Number.isInteger(hour) || hour < 0 || hour > 23) throw new RangeError(`not an hour 0–23: ${hour}`);
}

/**
 * The instant of `hour`:00 Eastern on `day`. An hour the spring-forward change skips runs at
 * the first instant after the gap; an hour the fall-back change repeats, at its first
 * occurrence (so a run never happens twice).
 */
export function scheduledTimeFor(day: EasternDay, hour: number): Date {
  assertHour(hour);
  return easternInstant({ ...parseEasternDay(day), hour, minute: 0, second: 0 });
}

/** The Eastern day whose sync-hour boundary is the latest one at or before `instant`. */
function latestBoundaryDay(instant: Date, syncHour: number): EasternDay {
  const day = easternDayOf(instant);
  return scheduledTimeFor(day, syncHour).getTime() <= instant.getTime() ? day : addDays(day, -1);
}

/**
 * The calls a run started at `scheduledAt` looks at: from the sync hour of the day before the
 * latest sync-hour boundary (included) to `scheduledAt` (excluded). On time, that is "the same
 * wall-clock time yesterday" — 23, 24 or 25 real hours across DST. A run that starts late (or
 * by hand) still begins at that boundary, so it never leaves a gap behind the previous run;
 * any overlap is harmless because each call is claimed once.
 */
export function windowForRun(scheduledAt: Date, syncHour: number): TimeWindow {
  const boundaryDay = latestBoundaryDay(scheduledAt, syncHour);
  return { start: scheduledTimeFor(addDays(boundaryDay, -1), syncHour), end: scheduledAt };
}

/** A named Eastern day, midnight to midnight (midnight is never skipped or repeated in NY). */
export function windowForDay(day: EasternDay): TimeWindow {
  return { start: scheduledTimeFor(day, 0), end: scheduledTimeFor(addDays(day, 1), 0) };
}

/**
 * A run's window widened to catch up nights that never completed (outage, budget spent):
 * it starts where the last completed run stopped, but no more than `maxCatchUpDays` days of
 * boundaries before the normal start.
 */
export function windowWithCatchUp(options: {
  scheduledAt: Date;
  syncHour: number;
  lastCompletedEnd: Date | undefined;
  maxCatchUpDays: number;
}): TimeWindow {
  const normal = windowForRun(options.scheduledAt, options.syncHour);
  if (!options.lastCompletedEnd || options.lastCompletedEnd.getTime() >= normal.start.getTime())
    return normal;
  const earliest = scheduledTimeFor(
    addDays(easternDayOf(normal.start), -options.maxCatchUpDays),
    options.syncHour,
  );
  const start = options.lastCompletedEnd.getTime() > earliest.getTime() ? options.lastCompletedEnd : earliest;
  return { start, end: normal.end };
}

/**
 * The day a run's calls were made, as its files and its report name it (docs/behaviour.md#a-run). Phone banks
 * call in the afternoon and evening, so that is the last Eastern afternoon the window covers:
 * the date of the latest noon before the window's end (never earlier than the window's first
 * day). A candidate syncing at 3 am gets the evening before; one syncing at 11 pm, the same day.
 * Neither end of the window alone is right for both: the end names the wrong day at 3 am, the
 * start at 11 pm. Returns noon Eastern of that day.
 */
export function callingDay(window: TimeWindow): Date {
  const lastDay = easternDayOf(new Date(window.end.getTime() - 1));
  const noon = scheduledTimeFor(lastDay, 12);
  const day = noon.getTime() < window.end.getTime() ? lastDay : addDays(lastDay, -1);
  const firstDay = easternDayOf(window.start);
  return scheduledTimeFor(day < firstDay ? firstDay : day, 12);
}

export function isInWindow(window: TimeWindow, instant: Date): boolean {
  return instant.getTime() >= window.start.getTime() && instant.getTime() < window.end.getTime();
}

export function windowLengthHours(window: TimeWindow): number {
  return (window.end.getTime() - window.start.getTime()) / 3_600_000;
}

/** Today's scheduled run of a candidate (today = the Eastern day of `now`). */
export function scheduledRunFor(
  candidate: Pick<Candidate, 'syncHourEastern'>,
  now: Date,
): { day: EasternDay; scheduledAt: Date } {
  const day = easternDayOf(now);
  return { day, scheduledAt: scheduledTimeFor(day, candidate.syncHourEastern) };
}

/**
 * Whether the schedule should open a run now: the candidate is active, today's sync time has
 * come, and today's scheduled run has not been opened yet (`lastScheduledDay`, from the runs
 * collection) — one scheduled run per candidate per day, even when an hour repeats.
 */
export function isDue(
  candidate: Pick<Candidate, 'active' | 'syncHourEastern'>,
  now: Date,
  lastScheduledDay?: EasternDay,
): boolean {
  if (!candidate.active) return false;
  const { day, scheduledAt } = scheduledRunFor(candidate, now);
  return now.getTime() >= scheduledAt.getTime() && lastScheduledDay !== day;
}
