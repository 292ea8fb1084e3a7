// Wall-clock readings in America/New_York, on luxon: campaigns, the dialer's export and VAN's
// dateCanvassed all speak Eastern time, and DST makes "the same time yesterday" anything from
// 23 to 25 hours away.

import { DateTime } from 'luxon';

export const EASTERN_TIME_ZONE = 'America/New_York';

// The locale is fixed so that AM/PM never follows the host's language.
const EASTERN = { zone: EASTERN_TIME_ZONE, locale: 'en-US' } as const;

/** A wall-clock reading in Eastern time; month 1–12. */
export interface EasternWallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** An Eastern calendar day written `YYYY-MM-DD`. */
export type EasternDay = string;

const inEastern = (instant: Date): DateTime => DateTime.fromJSDate(instant, EASTERN);

export function easternWallClock(instant: Date): EasternWallClock {
  const { year, month, day, hour, minute, second } = inEastern(instant);
  return { year, month, day, hour, minute, second };
}

/** Minutes east of UTC at that instant: -300 (EST) or -240 (EDT). */
export function easternOffsetMinutes(instant: Date): number {
  return inEastern(instant).offset;
}

export function isValidWallClock(wall: EasternWallClock): boolean {
  // luxon throws on NaN and takes 24:00 as the next midnight; neither is a reading of a clock.
  const { year, month, day, hour, minute, second } = wall;
  if (![year, month, day, hour, minute, second].every(Number.isInteger) || hour > 23) return false;
  return DateTime.fromObject({ year, month, day, hour, minute, second }, { zone: 'utc' }).isValid;
}

/**
 * The instants showing `wall` on an Eastern clock:
 * - `unique`: the ordinary case;
 * - `repeated`: the fall-back hour happens twice; `first` is the EDT one;
 * - `skipped`: the spring-forward hour never happens; `nextInstant` is the first instant after
 *   the gap (the moment clocks jump).
 */
export type EasternResolution =
  | { kind: 'unique'; instant: Date }
  | { kind: 'repeated'; first: Date; second: Date }
  | { kind: 'skipped'; nextInstant: Date };

export function resolveEasternWallClock(wall: EasternWallClock): EasternResolution {
  if (!isValidWallClock(wall)) throw new RangeError(`not a calendar time: ${JSON.stringify(wall)}`);
  const resolved = DateTime.fromObject({ ...wall }, EASTERN);
  if (resolved.hour !== wall.hour || resolved.minute !== wall.minute) {
    // luxon moves a reading in the gap forward by the gap. New York's clocks jump on the hour,
    // so the top of the hour it lands in is the jump itself.
    return { kind: 'skipped', nextInstant: resolved.startOf('hour').toJSDate() };
  }
  const [first, second] = resolved
    .getPossibleOffsets()
    .map((candidate) => candidate.toJSDate())
    .sort((a, b) => a.getTime() - b.getTime());
  if (first && second) return { kind: 'repeated', first, second };
  return { kind: 'unique', instant: first ?? resolved.toJSDate() };
}

/**
 * The instant to use for a wall-clock time that everybody means once: a repeated time is its
 * first occurrence, a skipped one the first instant after the gap.
 */
export function easternInstant(wall: EasternWallClock): Date {
  const resolved = resolveEasternWallClock(wall);
  switch (resolved.kind) {
    case 'unique':
      return resolved.instant;
    case 'repeated':
      return resolved.first;
    case 'skipped':
      return resolved.nextInstant;
  }
}

/** `YYYY-MM-DD` of the Eastern day the instant falls in. */
export function easternDayOf(instant: Date): EasternDay {
  return inEastern(instant).toFormat('yyyy-MM-dd');
}

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export function parseEasternDay(day: EasternDay): { year: number; month: number; day: number } {
  const match = DAY_PATTERN.exec(day);
  const parsed = match && { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
  if (!parsed || !isValidWallClock({ ...parsed, hour: 0, minute: 0, second: 0 })) {
    throw new RangeError(`not a day (YYYY-MM-DD): ${day}`);
  }
  return parsed;
}

export function addDays(day: EasternDay, days: number): EasternDay {
  return DateTime.fromObject(parseEasternDay(day), { zone: 'utc' }).plus({ days }).toFormat('yyyy-MM-dd');
}

/** `MM-DD-YYYY` in Eastern time (CSV "Date Called", file names). */
export function formatEasternDate(instant: Date): string {
  return inEastern(instant).toFormat('MM-dd-yyyy');
}

/** `MM-DD` in Eastern time (report subjects). */
export function formatEasternMonthDay(instant: Date): string {
  return inEastern(instant).toFormat('MM-dd');
}

/** `hh:mm AM` in Eastern time, 12-hour clock. */
export function formatEasternTime(instant: Date): string {
  return inEastern(instant).toFormat('hh:mm a');
}

/** ISO 8601 with the Eastern offset, e.g. `2026-11-03T18:22:05-05:00` (VAN's dateCanvassed). */
export function formatEasternIso(instant: Date): string {
  return inEastern(instant).toFormat("yyyy-MM-dd'T'HH:mm:ssZZ");
}
