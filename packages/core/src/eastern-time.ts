// Wall-clock readings in America/New_York, on luxon: campaigns, the dialer's export and VAN's
// dateCanvassed all speak Eastern time, and DST makes "the same time yesterday" anything from
// 23 to 25 hours away.

import { DateTime } from 'luxon';

const EASTERN_TIME_ZONE = 'America/New_York';

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

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const offsetByHour = new Map<number, number>();

/**
 * Eastern's offset from UTC in minutes at `ms`, from luxon's zone rules, kept per UTC hour. Every
 * call's CSV row, VAN date and import row needs one, and asking luxon each time cost ~15 µs a
 * call — the most of the per-row work once MongoDB is out of the way. New York changes offset only
 * on a whole UTC hour; an hour whose two ends disagree (before 1884) is never cached.
 */
function offsetMinutesAt(ms: number): number {
  const hour = Math.floor(ms / HOUR_MS);
  const cached = offsetByHour.get(hour);
  if (cached !== undefined) return cached;
  const start = DateTime.fromMillis(hour * HOUR_MS, EASTERN).offset;
  if (DateTime.fromMillis((hour + 1) * HOUR_MS - 1, EASTERN).offset !== start) {
    return DateTime.fromMillis(ms, EASTERN).offset;
  }
  if (offsetByHour.size >= 50_000) offsetByHour.clear();
  offsetByHour.set(hour, start);
  return start;
}

export function easternWallClock(instant: Date): EasternWallClock {
  const shifted = new Date(instant.getTime() + offsetMinutesAt(instant.getTime()) * 60_000);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const ymd = (w: EasternWallClock) => `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;

/** The wall-clock reading as if it were UTC, in ms (any year, unlike Date.UTC's 0–99 rule). */
function wallAsUtcMs(wall: EasternWallClock): number {
  const date = new Date(0);
  date.setUTCFullYear(wall.year, wall.month - 1, wall.day);
  date.setUTCHours(wall.hour, wall.minute, wall.second, 0);
  return date.getTime();
}

function isValidWallClock(wall: EasternWallClock): boolean {
  const { year, month, day, hour, minute, second } = wall;
  for (const part of [year, month, day, hour, minute, second]) if (!Number.isInteger(part)) return false;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  // A day past its month's end rolls over into the next month: then it is not a calendar date.
  const date = new Date(wallAsUtcMs(wall));
  return month >= 1 && month <= 12 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
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
  // The offsets in force a day either side are the only ones this reading can have (New York
  // changes offset at most once in two days); each is right if the instant it gives has it.
  // Plain numbers, no arrays: every imported row reads three times through here.
  const asUtc = wallAsUtcMs(wall);
  const before = offsetMinutesAt(asUtc - DAY_MS);
  const after = offsetMinutesAt(asUtc + DAY_MS);
  const fits = (offset: number) => offsetMinutesAt(asUtc - offset * 60_000) === offset;
  const beforeFits = fits(before);
  const afterFits = after !== before && fits(after);
  if (beforeFits && afterFits) {
    // The larger offset (EDT) is the earlier instant.
    return {
      kind: 'repeated',
      first: new Date(asUtc - Math.max(before, after) * 60_000),
      second: new Date(asUtc - Math.min(before, after) * 60_000),
    };
  }
  if (beforeFits) return { kind: 'unique', instant: new Date(asUtc - before * 60_000) };
  if (afterFits) return { kind: 'unique', instant: new Date(asUtc - after * 60_000) };
  // luxon moves a reading in the gap forward by the gap. New York's clocks jump on the hour,
  // so the top of the hour it lands in is the jump itself.
  const movedOn = DateTime.fromObject({ ...wall }, EASTERN);
  return { kind: 'skipped', nextInstant: movedOn.startOf('hour').toJSDate() };
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
  return ymd(easternWallClock(instant));
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
  const w = easternWallClock(instant);
  return `${pad(w.month)}-${pad(w.day)}-${pad(w.year, 4)}`;
}

/** `MM-DD` in Eastern time (report subjects). */
export function formatEasternMonthDay(instant: Date): string {
  const w = easternWallClock(instant);
  return `${pad(w.month)}-${pad(w.day)}`;
}

/** `hh:mm AM` in Eastern time, 12-hour clock. */
export function formatEasternTime(instant: Date): string {
  const w = easternWallClock(instant);
  return `${pad(w.hour % 12 || 12)}:${pad(w.minute)} ${w.hour < 12 ? 'AM' : 'PM'}`;
}

/** ISO 8601 with the Eastern offset, e.g. `2026-11-03T18:22:05-05:00` (VAN's dateCanvassed). */
export function formatEasternIso(instant: Date): string {
  const offset = offsetMinutesAt(instant.getTime());
  const w = easternWallClock(instant);
  const sign = offset < 0 ? '-' : '+';
  const zone = `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${ymd(w)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${zone}`;
}
