import type { Call } from '@call-sync/core';

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
