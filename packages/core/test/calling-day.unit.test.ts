// The results file, the caller file and the report are named after the day the calls were made
// (docs/behaviour.md#a-run): the last Eastern afternoon the run's window covers, whatever the Sync Time.

import { callerCsvFileName, callingDay, reportSubject, resultCsvFileName, windowForRun } from '../src';

// [what, the run's scheduled instant (UTC), Sync Time, expected MM-DD-YYYY of the calling day]
const cases: [string, string, number, string][] = [
  ['Sync Time 0', '2026-10-21T04:00:00Z', 0, '10-20-2026'],
  ['Sync Time 3 (calls made the evening before)', '2026-10-21T07:00:00Z', 3, '10-20-2026'],
  ['Sync Time 6', '2026-10-21T10:00:00Z', 6, '10-20-2026'],
  ['Sync Time 12 (the window ends at noon: the afternoon before)', '2026-10-21T16:00:00Z', 12, '10-20-2026'],
  ['Sync Time 13', '2026-10-21T17:00:00Z', 13, '10-21-2026'],
  ['Sync Time 23 (calls made the same day)', '2026-10-22T03:00:00Z', 23, '10-21-2026'],
  ['Sync Time 3 on the spring-forward night (23-hour window)', '2026-03-08T07:00:00Z', 3, '03-07-2026'],
  ['Sync Time 0 after the spring-forward day', '2026-03-09T04:00:00Z', 0, '03-08-2026'],
  ['Sync Time 3 on the fall-back night (25-hour window)', '2026-11-01T08:00:00Z', 3, '10-31-2026'],
  ['Sync Time 23 on the fall-back day', '2026-11-02T04:00:00Z', 23, '11-01-2026'],
];

test.each(cases)('%s: file names and report subject name the calling day', (_what, at, hour, day) => {
  const window = windowForRun(new Date(at), hour);
  expect(resultCsvFileName('maria-lopez', callingDay(window), 'abc123')).toBe(
    `maria-lopez-${day}-abc123.csv`,
  );
  expect(callerCsvFileName('maria-lopez', callingDay(window), 'abc123')).toBe(
    `maria-lopez-agents-${day}-abc123.csv`,
  );
  expect(reportSubject(window)).toBe(`Dialer Results for ${day.slice(0, 5)}`);
});

test('a short window inside one morning names that morning, not the afternoon before', () => {
  const window = { start: new Date('2026-10-21T07:00:00Z'), end: new Date('2026-10-21T13:00:00Z') };
  expect(reportSubject(window)).toBe('Dialer Results for 10-21');
});
