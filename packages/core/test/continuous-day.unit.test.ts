import { continuousDayFor, hasSettled } from '../src/continuous-day';

const utc = (iso: string) => new Date(iso);

describe("a continuous candidate's open day", () => {
  // Sync Time 21:00 Eastern; in October that is 01:00 UTC the next day (EDT, UTC-4).
  const candidate = { syncHourEastern: 21 };

  it('is the day whose Sync Time comes next', () => {
    // 10:00 Eastern on Oct 20: the day closing at 21:00 that evening.
    expect(continuousDayFor(candidate, utc('2026-10-20T14:00:00Z'))).toEqual({
      day: '2026-10-20',
      scheduledAt: utc('2026-10-21T01:00:00Z'),
    });
    // 20:59:59 Eastern: still that day.
    expect(continuousDayFor(candidate, utc('2026-10-21T00:59:59Z')).day).toBe('2026-10-20');
  });

  it('moves to the next day at the Sync Time itself (the window end is excluded)', () => {
    expect(continuousDayFor(candidate, utc('2026-10-21T01:00:00Z'))).toEqual({
      day: '2026-10-21',
      scheduledAt: utc('2026-10-22T01:00:00Z'),
    });
    // 23:30 Eastern on Oct 20 (already Oct 21 in UTC): the day closing at 21:00 on Oct 21.
    expect(continuousDayFor(candidate, utc('2026-10-21T03:30:00Z')).day).toBe('2026-10-21');
  });

  it('closes across a DST change at the Sync Time on the wall clock', () => {
    // Nov 1 2026 ends EDT: 21:00 Eastern on Nov 1 is 02:00 UTC on Nov 2 (EST, UTC-5).
    expect(continuousDayFor(candidate, utc('2026-11-01T12:00:00Z'))).toEqual({
      day: '2026-11-01',
      scheduledAt: utc('2026-11-02T02:00:00Z'),
    });
  });
});

describe('a settled call', () => {
  const cutoff = utc('2026-10-20T22:00:00Z');

  it('finished at or before the cutoff', () => {
    const timestamp = utc('2026-10-20T21:50:00Z');
    expect(hasSettled({ timestamp, finish_time: utc('2026-10-20T22:00:00Z') }, cutoff)).toBe(true);
    expect(hasSettled({ timestamp, finish_time: utc('2026-10-20T22:00:01Z') }, cutoff)).toBe(false);
  });

  it('counts from its start when the dialer gave no finish time', () => {
    expect(hasSettled({ timestamp: utc('2026-10-20T21:59:00Z') }, cutoff)).toBe(true);
    expect(hasSettled({ timestamp: utc('2026-10-20T22:01:00Z') }, cutoff)).toBe(false);
  });
});
