// The dialer speaks Eastern wall-clock time ("DD-MM-YYYY HH:MM:SS"); the seed needs both that and
// epoch ms, across DST, without a date library.

const parts = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'America/New_York',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

function easternParts(ms: number): Record<string, string> {
  return Object.fromEntries(parts.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
}

/** Epoch ms of an Eastern wall-clock time on `day` (YYYY-MM-DD); evening times never hit a DST gap. */
export function easternToEpochMs(day: string, hour: number, minute: number, second: number): number {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  const asUtc = Date.UTC(year, month - 1, date, hour, minute, second);
  let guess = asUtc + 5 * 3600_000;
  for (let i = 0; i < 2; i += 1) {
    const p = easternParts(guess);
    const shownAsUtc = Date.UTC(
      Number(p.year),
      Number(p.month) - 1,
      Number(p.day),
      Number(p.hour),
      Number(p.minute),
      Number(p.second),
    );
    guess += asUtc - shownAsUtc;
  }
  return guess;
}

/** `DD-MM-YYYY HH:MM:SS` in Eastern time, as the dialer's export writes it. */
export function formatDialerTime(ms: number): string {
  const p = easternParts(ms);
  return `${p.day}-${p.month}-${p.year} ${p.hour}:${p.minute}:${p.second}`;
}
