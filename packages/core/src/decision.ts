// What to do with one call (docs/behaviour.md#the-decision-for-one-call): the heart of the sync, pure so that the extractor, the
// dry run and the tests all get the same answer.

import type { Call } from './call';
import { deliversOnlyCsv, type Candidate } from './candidate';
import {
  metadataChecks,
  requestShapeCheck,
  resolveCanvassTypes,
  successCheck,
  type CanvassTypeNames,
} from './config-validation';
import { formatEasternIso } from './eastern-time';
import { findResultRow, type ConfigIndex, type ResultConfigRow } from './result-config';
import { SyncStatus } from './sync-status';
import {
  US_DIALING_PREFIX,
  type VanCanvassContext,
  type VanCanvassRequest,
  type VanMetadata,
  type VanResponseItem,
} from './van-canvass';

export type CallDecision =
  /** Step 7: post this body to `POST /people/{vanId}/canvassResponses`. */
  | { kind: 'post'; vanId: number; body: VanCanvassRequest; row: ResultConfigRow }
  /** Step 5 (or, for CSV-only candidates, steps 5–7): the call belongs in a CSV. */
  | { kind: 'csv'; row: ResultConfigRow }
  | { kind: 'ignored'; reason: string; row?: ResultConfigRow }
  | { kind: 'unattempted_error'; error: string; row?: ResultConfigRow };

/**
 * The fields of a call that deciding it reads (with `id`, and `finish_time` for a continuous
 * day's cut-off). The extractor reads only these from MongoDB: a night's cursor then carries a
 * third of each stored call. `decideCall` takes exactly this shape, so reading any other field
 * there fails to compile instead of finding it undefined.
 */
export const DECISION_FIELDS = [
  'id',
  'timestamp',
  'finish_time',
  'full_on_screen_result',
  'dropped',
  'system_id',
  'voter_id',
  'phone_dialed',
  'phone_id',
] as const satisfies readonly (keyof Call)[];

export type DecisionCall = Pick<Call, (typeof DECISION_FIELDS)[number]>;

/** Contact Type and Input Type may be absent: Phone and API. */
export type DecisionCandidate = Pick<Candidate, 'system' | 'strategy'> & CanvassTypeNames;

const INVALID_CONFIGURATION = 'invalid configuration';

function missingConfigMessage(fullOnScreenResult: string | undefined): string {
  return `missing config for ${fullOnScreenResult?.trim() ? fullOnScreenResult.trim() : '(no result)'}`;
}

/**
 * `vanMetadata` undefined means it was not fetched; step 6 is then skipped and VAN itself
 * judges the ids (a rejection becomes `attempted_error`), and only the default Contact Type
 * (Phone) and Input Type (API) can be resolved. Runs fetch it; only callers that cannot reach
 * VAN pass undefined.
 */
export function decideCall(
  call: DecisionCall,
  candidate: DecisionCandidate,
  configIndex: ConfigIndex,
  vanMetadata: VanMetadata | undefined,
): CallDecision {
  // Step 1
  const row = findResultRow(configIndex, call.full_on_screen_result);
  if (!row) {
    if (call.dropped === true) return { kind: 'ignored', reason: 'dropped call' };
    return { kind: 'unattempted_error', error: missingConfigMessage(call.full_on_screen_result) };
  }
  if (row.rowError !== undefined) return { kind: 'unattempted_error', error: row.rowError, row };

  // Step 2
  if (!row.syncToSystem && !row.includeInCsv) {
    return { kind: 'ignored', reason: 'neither Sync to System nor Include in CSV', row };
  }

  // Steps 3 and 4
  for (const check of [successCheck(row), requestShapeCheck(row)]) {
    if (check && !check.ok) {
      return { kind: 'unattempted_error', error: `${INVALID_CONFIGURATION}: ${check.message}`, row };
    }
  }

  // Step 5, and the CSV-only candidates for whom steps 6–7 also end in the CSV. Their ids are
  // never sent anywhere, so checking them against VAN would only fail calls for nothing.
  if (!row.syncToSystem || deliversOnlyCsv(candidate)) return { kind: 'csv', row };

  // Step 6, with the candidate's contact and input types: an unknown name fails the calls that
  // would post (no VAN request spent), in validate's words, rather than the whole run.
  const types = resolveCanvassTypes(candidate, vanMetadata);
  const failures = [...(vanMetadata ? metadataChecks(row, vanMetadata) : []), ...types.checks].filter(
    (check) => !check.ok,
  );
  if (failures.length > 0 || types.contactTypeId === undefined || types.inputTypeId === undefined) {
    return { kind: 'unattempted_error', error: failures.map((check) => check.message).join('; '), row };
  }

  // Step 7
  return buildPost(call, candidate, row, {
    contactTypeId: types.contactTypeId,
    inputTypeId: types.inputTypeId,
  });
}

function badDialerData(message: string, row: ResultConfigRow): CallDecision {
  return { kind: 'unattempted_error', error: `bad dialer data: ${message}`, row };
}

/** US numbers as VAN wants them: ten digits, without the country code or punctuation. */
export function phoneNumberDigits(phoneDialed: string): string | undefined {
  const digits = phoneDialed.replace(/\D/g, '');
  const national = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
  return national.length === 10 ? national : undefined;
}

function buildPost(
  call: DecisionCall,
  candidate: DecisionCandidate,
  row: ResultConfigRow,
  types: { contactTypeId: number; inputTypeId: number },
): CallDecision {
  // VAN and MyCampaign number people differently: posting a MyCampaign id with a VAN key would
  // write the result on a stranger.
  if (call.system_id !== candidate.system) {
    return badDialerData(
      `account system "${call.system_id}" does not match the candidate's System "${candidate.system}"`,
      row,
    );
  }
  const vanId = /^\d+$/.test(call.voter_id) ? Number(call.voter_id) : NaN;
  if (!Number.isSafeInteger(vanId) || vanId <= 0)
    return badDialerData(`voter id "${call.voter_id}" is not a VAN id`, row);
  const phoneNumber = phoneNumberDigits(call.phone_dialed ?? '');
  if (!phoneNumber)
    return badDialerData(`phone_dialed "${call.phone_dialed}" is not a 10-digit US number`, row);
  const timestamp = call.timestamp;
  if (!(timestamp instanceof Date) || Number.isNaN(timestamp.getTime())) {
    return badDialerData('the call has no valid timestamp', row);
  }
  const phoneId = call.phone_id;
  if (phoneId !== undefined && (!Number.isSafeInteger(phoneId) || phoneId <= 0)) {
    return badDialerData(`phone_id ${JSON.stringify(phoneId)} is not a VAN phone id`, row);
  }

  const canvassContext: VanCanvassContext = {
    contactTypeId: types.contactTypeId,
    inputTypeId: types.inputTypeId,
    dateCanvassed: formatEasternIso(timestamp),
    // VAN's guidance for phone tools: send the dialed phone with every disposition, and its
    // phoneId when known, so that a wrong number or a disconnect marks that phone rather than
    // possibly disqualifying the person.
    phone: { dialingPrefix: US_DIALING_PREFIX, phoneNumber },
    ...(phoneId !== undefined ? { phoneId } : {}),
    // VAN merges attempts of the same contact type and result within about an hour; a voter
    // dialed twice in an evening was really dialed twice, and each call is posted at most once,
    // so matching could only lose real attempts, never save us from our own duplicates.
    skipMatching: true,
  };

  if (row.success === false) {
    // Step 4 guarantees the code; QR pairs and Tags are deliberately not sent (validate warns).
    const resultCodeId = row.canvassResultCode as number;
    return { kind: 'post', vanId, row, body: { canvassContext, resultCodeId } };
  }

  const responses: VanResponseItem[] = [
    ...row.questionResponses.map((pair): VanResponseItem => ({
      type: 'SurveyResponse',
      surveyQuestionId: pair.questionId,
      surveyResponseId: pair.responseId,
    })),
    ...row.tags.map((activistCodeId): VanResponseItem => ({
      type: 'ActivistCode',
      activistCodeId,
      action: 'Apply',
    })),
  ];
  if (row.tags.length > 0) {
    // With survey responses the canvass is already in the contact history; the tags ride along
    // and must not count again (docs/behaviour.md#van). With tags alone, the tags *are* the record of a real
    // conversation, so they keep their contact history.
    canvassContext.omitActivistCodeContactHistory = row.questionResponses.length > 0;
  }
  return { kind: 'post', vanId, row, body: { canvassContext, responses } };
}

// ---------------------------------------------------------------------------------------------
// From decision to delivery, per strategy (docs/behaviour.md#the-decision-for-one-call, end)

/**
 * - `van`: one canvass post per call (van-writer).
 * - `van-bulk`: a row in the run's VAN Bulk Import job.
 * - `csv`: the run's results CSV (all csv / System csv).
 * - `csv-after-van`: the hybrid CSV, sent once the VAN part is done.
 * - `none`: the status stored at claim time is the last word for this run.
 */
export type CallRoute = 'van' | 'van-bulk' | 'csv' | 'csv-after-van' | 'none';

export interface CallPlan {
  /** The status the extractor stores when it claims the call. */
  status: SyncStatus;
  route: CallRoute;
  error?: string;
  reason?: string;
}

export function planForStrategy(decision: CallDecision, candidate: DecisionCandidate): CallPlan {
  switch (decision.kind) {
    case 'ignored':
      return { status: SyncStatus.Ignored, route: 'none', reason: decision.reason };
    case 'unattempted_error':
      return { status: SyncStatus.UnattemptedError, route: 'none', error: decision.error };
    case 'post':
      if (deliversOnlyCsv(candidate)) return { status: SyncStatus.InProgress, route: 'csv' };
      return { status: SyncStatus.InProgress, route: candidate.strategy === 'bulk' ? 'van-bulk' : 'van' };
    case 'csv':
      if (deliversOnlyCsv(candidate)) return { status: SyncStatus.InProgress, route: 'csv' };
      // `full` and `bulk` keep step-5 calls as queued_for_csv without sending a file: bulk
      // changes how VAN is reached, not which results are worth a CSV.
      if (candidate.strategy === 'hybrid') return { status: SyncStatus.QueuedForCsv, route: 'csv-after-van' };
      return { status: SyncStatus.QueuedForCsv, route: 'none' };
  }
}
