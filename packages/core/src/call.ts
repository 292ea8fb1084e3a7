// A dialed call as stored in the Mongo `calls` collection (docs/behaviour.md#calls). Field names are the
// stored ones (snake_case) so repositories, exports and this type cannot drift apart.

import type { SyncStatus } from './sync-status';
import type { VanCanvassRequest } from './van-canvass';

/** Where a finished (or attempted) call went; VAN v4 returns no id, so we record what it accepted. */
export type SyncReceipt =
  | {
      kind: 'van';
      vanId: number;
      dateCanvassed: string;
      requestId: string;
      postedAt: Date;
      httpStatus: number;
    }
  | { kind: 'van-bulk'; jobId: string; row: number }
  /**
   * A post whose outcome was unknown, found in VAN by a person: nothing came back from VAN, so the
   * receipt says who confirmed it, when, and which of our requests it was.
   */
  | { kind: 'van-confirmed'; confirmedBy: string; confirmedAt: Date; requestId?: string }
  | { kind: 'csv'; url: string };

/** Receipt kinds that mean VAN holds the call's contact: a reset must never re-post these unasked. */
export const VAN_RECEIPT_KINDS = ['van', 'van-bulk', 'van-confirmed'] as const;

/** A person's verdict on a call whose outcome was unknown (docs/outcome-unknown.md). */
export interface OutcomeResolution {
  verdict: 'in-van' | 'not-in-van';
  /** The token's name in API_TOKENS: who looked in VAN. */
  by: string;
  at: Date;
}

export interface Call {
  /** The dialer's call id: the upsert key, so a re-import never duplicates. */
  id: string;
  account_number: string;
  district: string;
  system_id: string;
  voter_id: string;
  first_name: string;
  last_name: string;
  phone_dialed: string;
  /**
   * VAN's id of the dialed phone (from the export's `phone_id` column or the Livevox field named
   * by LIVEVOX_PHONE_ID_FIELD). With it VAN marks a wrong or disconnected number on that phone
   * alone; without it VAN may disqualify the person instead.
   */
  phone_id?: number;
  connect_time?: Date;
  start_time: Date;
  finish_time?: Date;
  /** = start_time; the field windows select on. */
  timestamp: Date;
  caller_login: string;
  /** The dialer's raw result. */
  lv_result: string;
  /** From the term codes; the key into the candidate's result table. */
  full_on_screen_result: string;
  display_name?: string;
  /** Candidate slug. */
  client?: string;
  campaign_id?: string;
  service_name?: string;
  // Term-code attributes merged in on import.
  van_result?: string;
  dialed?: boolean;
  dropped?: boolean;
  contact?: boolean;
  // Set once a sync touches the call.
  sync_status?: SyncStatus;
  run_id?: string;
  receipt?: SyncReceipt;
  error?: string;
  synced_at?: Date;
  attempts?: number;
  /**
   * The canvass response the extractor decided for a call routed to VAN, stored at claim time:
   * the writer posts exactly what was decided with the run's metadata, without deciding again.
   */
  van_request?: { vanId: number; body: VanCanvassRequest };
  /**
   * Set (compare-and-set) just before the VAN request leaves. A call found with it set and no
   * outcome may have reached VAN: it is never posted again automatically (at most once).
   */
  posting_started_at?: Date;
  /** Our id of that request, recorded in the receipt. */
  posting_request_id?: string;
  /**
   * Until when the writer that set the mark owns it: a second writer (a redelivery, a resume) that
   * finds the call mid-post leaves it alone until then, since the first may yet record VAN's answer.
   */
  posting_lease_until?: Date;
  /**
   * The post may or may not have reached VAN (a timeout, a crash mid-post): `attempted_error`
   * with the reason in `error`, for a person to check in VAN. Never posted again automatically,
   * and only a reset that names exactly these calls returns them to unsynced.
   */
  outcome_unknown?: boolean;
  /** Set when a person resolved an outcome-unknown call; kept after, as the call's history. */
  resolution?: OutcomeResolution;
  /**
   * While a person's re-post of an outcome-unknown call is in flight: until when that post owns
   * the call. The call stays outcome unknown meanwhile, so a crash leaves it for a person again.
   */
  repost_lease_until?: Date;
}

export interface AccountNumber {
  district: string;
  system: string;
  voterId: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const ACCOUNT_PATTERN = /^([a-z0-9]+)-([a-z]+)-(\d+)$/;

/** `nc05-van-18372073` → district `nc05`, system `van`, voter id `18372073`. */
export function parseAccountNumber(accountNumber: string): Parsed<AccountNumber> {
  const match = ACCOUNT_PATTERN.exec(accountNumber.trim().toLowerCase());
  if (!match || match[1] === undefined || match[2] === undefined || match[3] === undefined) {
    return {
      ok: false,
      error: `account number "${accountNumber}" is not district-system-voterid (e.g. nc05-van-18372073)`,
    };
  }
  return { ok: true, value: { district: match[1], system: match[2], voterId: match[3] } };
}

/** The dialer's test calls: skipped on import, counted, never an error. */
export function isTestAccount(accountNumber: string): boolean {
  const trimmed = accountNumber.trim();
  return /^test/i.test(trimmed) || trimmed === '123457';
}
