import {
  addDays,
  easternDayOf,
  formatEasternDate,
  formatEasternIso,
  formatEasternMonthDay,
  formatEasternTime,
  resolveEasternWallClock,
} from '../src/eastern-time';
import {
  isDue,
  isInWindow,
  scheduledRunFor,
  scheduledTimeFor,
  windowForDay,
  windowForRun,
  windowLengthHours,
  windowWithCatchUp,
} from '../src/time-window';

const utc = (iso: string) => new Date(iso);

describe('Eastern wall clock', () => {
  it('resolves an ordinary time to one instant', () => {
    expect(
      resolveEasternWallClock({ year: 2026, month: 11, day: 3, hour: 18, minute: 0, second: 0 }),
    ).toEqual({
      kind: 'unique',
      instant: utc('2026-11-03T23:00:00Z'),
    });
  });

  it('finds no instant for a time in the spring-forward gap, and the jump after it', () => {
    expect(resolveEasternWallClock({ year: 2026, month: 3, day: 8, hour: 2, minute: 30, second: 0 })).toEqual(
      {
        kind: 'skipped',
        nextInstant: utc('2026-03-08T07:00:00Z'),
      },
    );
  });

  it('finds two instants for a fall-back time, EDT first', () => {
    expect(
      resolveEasternWallClock({ year: 2026, month: 11, day: 1, hour: 1, minute: 30, second: 0 }),
    ).toEqual({
      kind: 'repeated',
      first: utc('2026-11-01T05:30:00Z'),
      second: utc('2026-11-01T06:30:00Z'),
    });
  });

  it('refuses a date that is not on the calendar', () => {
    expect(() =>
      resolveEasternWallClock({ year: 2026, month: 2, day: 30, hour: 0, minute: 0, second: 0 }),
    ).toThrow(RangeError);
  });

  it('formats dates, times and ISO strings on the Eastern clock', () => {
    const evening = utc('2026-11-04T01:05:09Z'); // 20:05:09 EST on Nov 3
    expect(formatEasternDate(evening)).toBe('11-03-2026');
    expect(formatEasternMonthDay(evening)).toBe('11-03');
    expect(formatEasternTime(evening)).toBe('08:05 PM');
    expect(formatEasternTime(utc('2026-07-01T04:07:00Z'))).toBe('12:07 AM');
    expect(formatEasternTime(utc('2026-07-01T16:30:00Z'))).toBe('12:30 PM');
    expect(formatEasternIso(evening)).toBe('2026-11-03T20:05:09-05:00');
    expect(formatEasternIso(utc('2026-11-01T05:30:00Z'))).toBe('2026-11-01T01:30:00-04:00');
    expect(formatEasternIso(utc('2026-11-01T06:30:00Z'))).toBe('2026-11-01T01:30:00-05:00');
    expect(easternDayOf(evening)).toBe('2026-11-03');
  });

  it('counts calendar days across month and year ends', () => {
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(() => addDays('2026-13-01', 1)).toThrow(RangeError);
  });
});

describe('scheduled times', () => {
  it('an ordinary sync hour is that hour Eastern', () => {
    expect(scheduledTimeFor('2026-11-03', 20)).toEqual(utc('2026-11-04T01:00:00Z'));
    expect(scheduledTimeFor('2026-07-03', 20)).toEqual(utc('2026-07-04T00:00:00Z'));
  });

  it('an hour the spring-forward change skips runs at the first instant after it', () => {
    expect(scheduledTimeFor('2026-03-08', 2)).toEqual(utc('2026-03-08T07:00:00Z'));
  });

  it('an hour the fall-back change repeats runs at its first occurrence', () => {
    expect(scheduledTimeFor('2026-11-01', 1)).toEqual(utc('2026-11-01T05:00:00Z'));
  });

  it('refuses an hour outside 0–23', () => {
    expect(() => scheduledTimeFor('2026-11-01', 24)).toThrow(RangeError);
  });
});

describe('run windows', () => {
  it('an ordinary night is 24 hours, from the same time yesterday (included) to the run (excluded)', () => {
    const scheduledAt = scheduledTimeFor('2026-11-03', 20);
    const window = windowForRun(scheduledAt, 20);
    expect(window).toEqual({ start: utc('2026-11-03T01:00:00Z'), end: scheduledAt });
    expect(isInWindow(window, window.start)).toBe(true);
    expect(isInWindow(window, window.end)).toBe(false);
  });

  it('the night of the spring-forward change is 23 hours', () => {
    const window = windowForRun(scheduledTimeFor('2026-03-08', 20), 20);
    expect(windowLengthHours(window)).toBe(23);
  });

  it('the night of the fall-back change is 25 hours', () => {
    const window = windowForRun(scheduledTimeFor('2026-11-01', 20), 20);
    expect(windowLengthHours(window)).toBe(25);
  });

  it.each([0, 1, 2, 3, 20, 23])(
    'consecutive windows at hour %i tile March and November with no gap or overlap',
    (hour) => {
      for (const [from, days] of [
        ['2026-03-05', 6],
        ['2026-10-29', 6],
      ] as const) {
        for (let offset = 0; offset < days; offset += 1) {
          const today = addDays(from, offset);
          const yesterdayWindow = windowForRun(scheduledTimeFor(addDays(today, -1), hour), hour);
          const todayWindow = windowForRun(scheduledTimeFor(today, hour), hour);
          expect(todayWindow.start).toEqual(yesterdayWindow.end);
          expect([23, 24, 25]).toContain(windowLengthHours(todayWindow));
        }
      }
    },
  );

  it('a sync hour inside the spring-forward gap still tiles with the nights around it', () => {
    const march8 = windowForRun(scheduledTimeFor('2026-03-08', 2), 2);
    const march9 = windowForRun(scheduledTimeFor('2026-03-09', 2), 2);
    expect(march8).toEqual({ start: utc('2026-03-07T07:00:00Z'), end: utc('2026-03-08T07:00:00Z') });
    expect(march9.start).toEqual(march8.end);
    expect(windowLengthHours(march8)).toBe(24);
    expect(windowLengthHours(march9)).toBe(23);
  });

  it('a run that starts late still begins at the previous boundary', () => {
    const late = utc('2026-11-04T05:10:00Z'); // 00:10 EST Nov 4, for a 23:00 sync
    expect(windowForRun(late, 23)).toEqual({ start: scheduledTimeFor('2026-11-02', 23), end: late });
  });

  it('a named day runs midnight to midnight Eastern, 25 hours on the fall-back day', () => {
    expect(windowForDay('2026-11-03')).toEqual({
      start: utc('2026-11-03T05:00:00Z'),
      end: utc('2026-11-04T05:00:00Z'),
    });
    expect(windowLengthHours(windowForDay('2026-11-01'))).toBe(25);
    expect(windowLengthHours(windowForDay('2026-03-08'))).toBe(23);
  });
});

describe('catching up missed nights', () => {
  const scheduledAt = scheduledTimeFor('2026-11-10', 20);

  it('starts where the last completed run ended', () => {
    const lastCompletedEnd = scheduledTimeFor('2026-11-07', 20);
    expect(windowWithCatchUp({ scheduledAt, syncHour: 20, lastCompletedEnd, maxCatchUpDays: 7 })).toEqual({
      start: lastCompletedEnd,
      end: scheduledAt,
    });
  });

  it('goes back no further than the limit', () => {
    const lastCompletedEnd = scheduledTimeFor('2026-10-01', 20);
    expect(
      windowWithCatchUp({ scheduledAt, syncHour: 20, lastCompletedEnd, maxCatchUpDays: 2 }).start,
    ).toEqual(scheduledTimeFor('2026-11-07', 20));
  });

  it('is the normal window when last night completed or nothing ever ran', () => {
    const normal = windowForRun(scheduledAt, 20);
    expect(
      windowWithCatchUp({ scheduledAt, syncHour: 20, lastCompletedEnd: normal.start, maxCatchUpDays: 7 }),
    ).toEqual(normal);
    expect(
      windowWithCatchUp({ scheduledAt, syncHour: 20, lastCompletedEnd: undefined, maxCatchUpDays: 7 }),
    ).toEqual(normal);
  });
});

describe('is a candidate due', () => {
  const candidate = { active: true, syncHourEastern: 20 };

  it('is due from its sync time until today’s scheduled run is opened', () => {
    expect(isDue(candidate, utc('2026-11-04T00:59:59Z'))).toBe(false);
    expect(isDue(candidate, utc('2026-11-04T01:00:00Z'))).toBe(true);
    expect(isDue(candidate, utc('2026-11-04T03:00:00Z'), '2026-11-03')).toBe(false);
    expect(isDue(candidate, utc('2026-11-04T03:00:00Z'), '2026-11-02')).toBe(true);
  });

  it('an inactive candidate is never due', () => {
    expect(isDue({ active: false, syncHourEastern: 20 }, utc('2026-11-04T03:00:00Z'))).toBe(false);
  });

  it('a sync hour in the spring-forward gap becomes due when the clocks jump', () => {
    const twoAm = { active: true, syncHourEastern: 2 };
    expect(isDue(twoAm, utc('2026-03-08T06:59:59Z'))).toBe(false);
    expect(isDue(twoAm, utc('2026-03-08T07:00:00Z'))).toBe(true);
  });

  it('a repeated sync hour runs once, at its first occurrence', () => {
    const oneAm = { active: true, syncHourEastern: 1 };
    expect(isDue(oneAm, utc('2026-11-01T05:00:00Z'))).toBe(true);
    expect(scheduledRunFor(oneAm, utc('2026-11-01T06:00:00Z'))).toEqual({
      day: '2026-11-01',
      scheduledAt: utc('2026-11-01T05:00:00Z'),
    });
    expect(isDue(oneAm, utc('2026-11-01T06:00:00Z'), '2026-11-01')).toBe(false);
  });
});
