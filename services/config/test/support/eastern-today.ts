import { setTimeout as sleep } from 'node:timers/promises';
import { addDays, easternDayOf, easternInstant, parseEasternDay, type EasternDay } from '@call-sync/core';

/**
 * Today in Eastern time, for a test whose documents are keyed by the day the service computes on
 * each request (the VAN budget, the nights chart). Close to Eastern midnight it first waits for the
 * next day, so the service and the test cannot name different days: CI that ran at 00:00 Eastern
 * failed this way.
 */
export async function easternTodayAwayFromMidnight(marginMs = 120_000): Promise<EasternDay> {
  const today = easternDayOf(new Date());
  const midnight = easternInstant({ ...parseEasternDay(addDays(today, 1)), hour: 0, minute: 0, second: 0 });
  const left = midnight.getTime() - Date.now();
  if (left > marginMs) return today;
  await sleep(left + 1_000);
  return easternDayOf(new Date());
}
