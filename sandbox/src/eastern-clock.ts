// The dialer speaks Eastern wall-clock time ("DD-MM-YYYY HH:MM:SS"); the seed needs both that and
// epoch ms. The time-zone arithmetic is core's, so the sandbox and the parser cannot disagree.
import { easternInstant, easternWallClock } from '@call-sync/core';

/** Epoch ms of an Eastern wall-clock time on `day` (YYYY-MM-DD). */
export function easternToEpochMs(day: string, hour: number, minute: number, second: number): number {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return easternInstant({ year, month, day: date, hour, minute, second }).getTime();
}

/** `DD-MM-YYYY HH:MM:SS` in Eastern time, as the dialer's export writes it. */
export function formatDialerTime(ms: number): string {
  const wall = easternWallClock(new Date(ms));
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(wall.day)}-${pad(wall.month)}-${wall.year} ${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)}`;
}
