// Wall-clock arithmetic in America/New_York with nothing but Intl: campaigns, the dialer's
// export and VAN's dateCanvassed all speak Eastern time, and DST makes "the same time
// yesterday" anything from 23 to 25 hours away.

export const EASTERN_TIME_ZONE = 'America/New_York';

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

const PARTS_FORMAT = new Intl.DateTimeFormat('en-US', {
  timeZone: EASTERN_TIME_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export function easternWallClock(instant: Date): EasternWallClock {
  const values: Record<string, number> = {};
  for (const part of PARTS_FORMAT.formatToParts(instant)) {
    if (part.type !== 'literal') values[part.type] = Number(part.value);
  }
  return {
    year: values.year ?? NaN,
    month: values.month ?? NaN,
    day: values.day ?? NaN,
    hour: values.hour ?? NaN,
    minute: values.minute ?? NaN,
    second: values.second ?? NaN,
  };
}

function wallClockAsUtcMillis(wall: EasternWallClock): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
}

/** Minutes east of UTC at that instant: -300 (EST) or -240 (EDT). */
export function easternOffsetMinutes(instant: Date): number {
  const whole = new Date(Math.floor(instant.getTime() / 1000) * 1000);
  return Math.round((wallClockAsUtcMillis(easternWallClock(whole)) - whole.getTime()) / 60_000);
}

function sameWallClock(a: EasternWallClock, b: EasternWallClock): boolean {
  return (
    a.year === b.year &&
    a.month === b.month &&
    a.day === b.day &&
    a.hour === b.hour &&
    a.minute === b.minute &&
    a.second === b.second
  );
}

export function isValidWallClock(wall: EasternWallClock): boolean {
  const { year, month, day, hour, minute, second } = wall;
  if (![year, month, day, hour, minute, second].every(Number.isInteger)) return false;
  if (month < 1 || month > 12 || hour < 0 || hour > 23 || minute < 0 || minute > 59) return false;
  if (second < 0 || second > 59 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
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

// US Eastern offsets are only ever EST or EDT, so trying both finds every reading.
const CANDIDATE_OFFSETS_MINUTES = [-240, -300];

export function resolveEasternWallClock(wall: EasternWallClock): EasternResolution {
  if (!isValidWallClock(wall)) throw new RangeError(`not a calendar time: ${JSON.stringify(wall)}`);
  const asUtc = wallClockAsUtcMillis(wall);
  const matches = CANDIDATE_OFFSETS_MINUTES.map((offset) => new Date(asUtc - offset * 60_000))
    .filter((instant) => sameWallClock(easternWallClock(instant), wall))
    .sort((a, b) => a.getTime() - b.getTime());
  const [first, second] = matches;
  if (first && second) return { kind: 'repeated', first, second };
  if (first) return { kind: 'unique', instant: first };
  return { kind: 'skipped', nextInstant: transitionAfter(wall) };
}

/** Binary search for the spring-forward jump between the two readings of a skipped time. */
function transitionAfter(wall: EasternWallClock): Date {
  const asUtc = wallClockAsUtcMillis(wall);
  let before = asUtc + 240 * 60_000; // read as EDT: lands before the jump
  let after = asUtc + 300 * 60_000; // read as EST: lands after it
  const offsetAfter = easternOffsetMinutes(new Date(after));
  while (after - before > 1000) {
    const middle = before + Math.floor((after - before) / 2000) * 1000;
    if (easternOffsetMinutes(new Date(middle)) === offsetAfter) after = middle;
    else before = middle;
  }
  return new Date(after);
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

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** `YYYY-MM-DD` of the Eastern day the instant falls in. */
export function easternDayOf(instant: Date): EasternDay {
  const wall = easternWallClock(instant);
  return `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)}`;
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
  const { year, month, day: dayOfMonth } = parseEasternDay(day);
  const shifted = new Date(Date.UTC(year, month - 1, dayOfMonth + days));
  return `${pad(shifted.getUTCFullYear(), 4)}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}`;
}

/** `MM-DD-YYYY` in Eastern time (CSV "Date Called", file names). */
export function formatEasternDate(instant: Date): string {
  const wall = easternWallClock(instant);
  return `${pad(wall.month)}-${pad(wall.day)}-${pad(wall.year, 4)}`;
}

/** `MM-DD` in Eastern time (report subjects). */
export function formatEasternMonthDay(instant: Date): string {
  const wall = easternWallClock(instant);
  return `${pad(wall.month)}-${pad(wall.day)}`;
}

/** `hh:mm AM` in Eastern time, 12-hour clock. */
export function formatEasternTime(instant: Date): string {
  const wall = easternWallClock(instant);
  const hour12 = wall.hour % 12 === 0 ? 12 : wall.hour % 12;
  return `${pad(hour12)}:${pad(wall.minute)} ${wall.hour < 12 ? 'AM' : 'PM'}`;
}

/** ISO 8601 with the Eastern offset, e.g. `2026-11-03T18:22:05-05:00` (VAN's dateCanvassed). */
export function formatEasternIso(instant: Date): string {
  const whole = new Date(Math.floor(instant.getTime() / 1000) * 1000);
  const wall = easternWallClock(whole);
  const offset = easternOffsetMinutes(whole);
  const sign = offset < 0 ? '-' : '+';
  const offsetText = `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return (
    `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)}` +
    `T${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)}${offsetText}`
  );
}
