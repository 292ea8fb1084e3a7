import { MongoClient, type Db } from 'mongodb';
import { easternInstant, parseEasternDay, type Call } from '@call-sync/core';
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

let sequence = 0;

/** A dialed call as the import stores it; override what the test is about. */
export function makeCall(overrides: Partial<Call> & { timestamp: Date }): Call {
  sequence += 1;
  const voterId = String(100_000 + sequence);
  return {
    id: `call-${Date.now().toString(36)}-${sequence}`,
    account_number: `nc05-van-${voterId}`,
    district: 'nc05',
    system_id: 'van',
    voter_id: voterId,
    first_name: 'Ada',
    last_name: 'Lovelace',
    phone_dialed: '9195550101',
    start_time: overrides.timestamp,
    caller_login: 'vol_ana',
    lv_result: 'Agent Cust 1 (167)',
    full_on_screen_result: 'strong support',
    client: 'good-candidate',
    service_name: 'GC Persuasion',
    ...overrides,
  };
}
