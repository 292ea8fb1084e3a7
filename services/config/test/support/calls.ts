import { MongoClient, type Db } from 'mongodb';
import { easternInstant, LIVEVOX_EXPORT_COLUMNS, parseEasternDay } from '@call-sync/core';
export { makeCall } from '../../../../test/support/calls';
import { serverEnv } from '../../../../test/support/env';

/** The test's own database, to arrange calls and runs as the dialer and the pipeline would. */
export async function connectTestDb(database: string): Promise<{ db: Db; close(): Promise<void> }> {
  const client = new MongoClient(serverEnv().mongoUrl, { retryWrites: false });
  await client.connect();
  return { db: client.db(database), close: () => client.close() };
}

/** Noon-ish Eastern on `day` plus `minutes`. */
export function easternTime(day: string, hour: number, minute = 0): Date {
  return easternInstant({ ...parseEasternDay(day), hour, minute, second: 0 });
}

/** A call-export file's header line, its columns in the dialer's order (no phone ids). */
export const EXPORT_HEADER = LIVEVOX_EXPORT_COLUMNS.filter((column) => column !== 'phone_id').join(',');
