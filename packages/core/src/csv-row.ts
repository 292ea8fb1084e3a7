// The rows of the files campaigns receive: the results CSV (docs/behaviour.md#a-run) and the caller file.
// Quoting is the CSV writer's job; this module decides what each cell says.

import type { Call } from './call';
import { formatEasternDate, formatEasternTime } from './eastern-time';

export const RESULT_CSV_COLUMNS = [
  'Voter ID',
  'Voter ID Type',
  'Voter First Name',
  'Voter Last Name',
  'Voter Phone',
  'Date Called',
  'Time Called (EST)',
  'Result',
  'Caller Login',
] as const;

export const CALLER_CSV_COLUMNS = ['Login', 'Email', 'Phone', 'From'] as const;

/**
 * Spreadsheet apps run a cell that starts with `=`, `+`, `-` or `@` (or a tab/CR that hides
 * one) as a formula; names and logins come from the dialer, so a leading `'` makes them text.
 */
export function neutraliseCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export function voterIdType(systemId: string): string {
  return systemId === 'van' || systemId === 'myc' ? 'VANID' : systemId.toUpperCase();
}

/**
 * The fields of a call a results row is made of (its Result is `display_name`, or the dialer's
 * result when no row named it). The CSV export reads only these from MongoDB.
 */
export const RESULT_CSV_FIELDS = [
  'voter_id',
  'system_id',
  'first_name',
  'last_name',
  'phone_dialed',
  'timestamp',
  'caller_login',
  'display_name',
  'full_on_screen_result',
] as const satisfies readonly (keyof Call)[];

/** What the export reads of each call. */
export type ResultCsvSource = Pick<Call, (typeof RESULT_CSV_FIELDS)[number]>;

/** What a row is built from besides its Result, which the caller resolves. */
export type ResultCsvCall = Omit<ResultCsvSource, 'display_name' | 'full_on_screen_result'>;

/**
 * One results row. The time column keeps the label "EST" the campaigns' sheets expect, but the
 * clock is America/New_York (EDT in summer).
 */
export function resultCsvRow(call: ResultCsvCall, displayName: string): string[] {
  return [
    call.voter_id,
    voterIdType(call.system_id),
    call.first_name,
    call.last_name,
    call.phone_dialed,
    formatEasternDate(call.timestamp),
    `${formatEasternTime(call.timestamp)} EST`,
    displayName,
    call.caller_login,
  ].map(neutraliseCell);
}

export interface CallerRecord {
  login: string;
  email?: string;
  phone?: string;
  /** Where the caller comes from (the caller directory's organisation or city). */
  from?: string;
}

export function callerCsvRow(caller: CallerRecord): string[] {
  return [caller.login, caller.email ?? '', caller.phone ?? '', caller.from ?? ''].map(neutraliseCell);
}

function assertToken(random: string): void {
  // The name lands in an S3 key and a URL; only plain tokens keep both unambiguous.
  if (!/^[A-Za-z0-9]+$/.test(random)) throw new RangeError(`file name token must be alphanumeric: ${random}`);
}

/** `<slug>-<MM-DD-YYYY of the day called>-<random>.csv`; the random part makes the URL unguessable. */
export function resultCsvFileName(slug: string, dayCalled: Date, random: string): string {
  assertToken(random);
  return `${slug}-${formatEasternDate(dayCalled)}-${random}.csv`;
}

/** `<slug>-agents-<MM-DD-YYYY>-<random>.csv`. */
export function callerCsvFileName(slug: string, dayCalled: Date, random: string): string {
  assertToken(random);
  return `${slug}-agents-${formatEasternDate(dayCalled)}-${random}.csv`;
}
