// The checks behind the `validate` page. The decision (step 6) reports a call's failure with
// the very same message, so an organiser who sees an error in a report finds it on the page.

import type { Candidate } from './candidate';
import type { ResultConfigRow } from './result-config';
import type { BulkRowLayout } from './van-bulk-rows';
import {
  DEFAULT_CONTACT_TYPE_NAME,
  VAN_CONTACT_TYPE_PHONE,
  VAN_INPUT_TYPE_API,
  type VanMetadata,
} from './van-canvass';

export interface ConfigCheck {
  ok: boolean;
  message: string;
}

export interface RowValidation {
  rowId: string;
  fullOnScreenResult: string;
  displayName: string;
  ok: boolean;
  checks: ConfigCheck[];
  /** Not errors, but surprises: configured values that will not be sent. */
  warnings: string[];
}

export interface TableValidation {
  ok: boolean;
  header: string;
  rows: RowValidation[];
}

const VALIDATION_HEADER_OK = 'This sync is good to go!';
export const VALIDATION_HEADER_ERRORS = 'THIS SYNC HAS ERRORS';

const describe = (value: unknown): string => JSON.stringify(value) ?? String(value);

export function successCheck(row: ResultConfigRow): ConfigCheck {
  return typeof row.success === 'boolean'
    ? { ok: true, message: 'Success is a checkbox' }
    : { ok: false, message: `Success must be a checkbox (true/false), got ${describe(row.success.invalid)}` };
}

/** docs/behaviour.md#the-decision-for-one-call, step 4: VAN needs a result code for a non-contact, and responses for a contact. */
export function requestShapeCheck(row: ResultConfigRow): ConfigCheck | undefined {
  if (row.success === false) {
    return row.canvassResultCode === undefined
      ? { ok: false, message: 'Canvass Result Code is required when Success is false' }
      : { ok: true, message: 'Canvass Result Code is set' };
  }
  if (row.success === true) {
    return row.questionResponses.length === 0 && row.tags.length === 0
      ? { ok: false, message: 'Success rows need QR pairs or Tags (VAN needs one or the other)' }
      : { ok: true, message: 'QR pairs or Tags are set' };
  }
  return undefined;
}

/** docs/behaviour.md#the-decision-for-one-call, step 6: the ids the request would carry, looked up in the run's VAN metadata. */
export function metadataChecks(row: ResultConfigRow, metadata: VanMetadata): ConfigCheck[] {
  const checks: ConfigCheck[] = [];
  if (row.success === false && row.canvassResultCode !== undefined) {
    const code = metadata.resultCodes.find((known) => known.resultCodeId === row.canvassResultCode);
    checks.push(
      code
        ? { ok: true, message: `Result code ${code.resultCodeId} exists (${code.name})` }
        : { ok: false, message: `Result code ${row.canvassResultCode} does not exist in VAN` },
    );
  }
  if (row.success !== true) return checks;
  for (const tag of row.tags) {
    const code = metadata.activistCodes.find((known) => known.activistCodeId === tag);
    checks.push(
      code
        ? { ok: true, message: `Activist code ${tag} exists (${code.name})` }
        : { ok: false, message: `Activist code ${tag} does not exist in VAN` },
    );
  }
  for (const pair of row.questionResponses) {
    const question = metadata.surveyQuestions.find((known) => known.surveyQuestionId === pair.questionId);
    if (!question) {
      checks.push({
        ok: false,
        message: `${pair.column}: survey question ${pair.questionId} does not exist in VAN`,
      });
      continue;
    }
    const response = question.responses.find((known) => known.surveyResponseId === pair.responseId);
    checks.push(
      response
        ? {
            ok: true,
            message: `${pair.column}: survey question ${pair.questionId} (${question.name}) has response ${pair.responseId} (${response.name})`,
          }
        : {
            ok: false,
            message: `${pair.column}: response ${pair.responseId} is not a response of survey question ${pair.questionId} (${question.name})`,
          },
    );
  }
  return checks;
}

// ---------------------------------------------------------------------------------------------
// The candidate's contact and input types (listing columns Contact Type and Input Type)

/** Absent names are the defaults: Contact Type Phone, Input Type API. */
export type CanvassTypeNames = Partial<Pick<Candidate, 'contactType' | 'inputType'>>;

export interface CanvassTypes {
  /** Undefined when the name could not be resolved (a failed check says why). */
  contactTypeId: number | undefined;
  inputTypeId: number | undefined;
  checks: ConfigCheck[];
}

const sameName = (a: string, b: string): boolean =>
  a.trim().replace(/\s+/g, ' ').toLowerCase() === b.trim().replace(/\s+/g, ' ').toLowerCase();

function resolveByName<T extends { name: string }>(
  column: string,
  kind: string,
  name: string,
  known: readonly T[] | undefined,
  idOf: (item: T) => number,
): { id: number | undefined; check: ConfigCheck } {
  if (!known) {
    return {
      id: undefined,
      check: { ok: false, message: `${column} "${name}" cannot be checked: VAN's ${kind}s were not read` },
    };
  }
  const found = known.find((item) => sameName(item.name, name));
  if (found)
    return {
      id: idOf(found),
      check: { ok: true, message: `${column} "${name}" is ${kind} ${idOf(found)} in VAN` },
    };
  const names = known.map((item) => item.name).join(', ');
  return {
    id: undefined,
    check: {
      ok: false,
      message: `${column} "${name}" does not exist in VAN for this key (it has: ${names})`,
    },
  };
}

const resolvedByMetadata = new WeakMap<VanMetadata, Map<string, CanvassTypes>>();

/**
 * The ids behind the candidate's Contact Type and Input Type, looked up by name (case and spaces
 * aside) in the key's metadata: committees number their contact types differently. The run reads
 * the lists once with its metadata; each call reuses the answer. Without metadata only the
 * defaults resolve (to VAN's usual Phone 1 and API 11), since nothing else can be checked.
 */
export function resolveCanvassTypes(
  candidate: CanvassTypeNames,
  metadata: VanMetadata | undefined,
): CanvassTypes {
  const contactName = candidate.contactType?.trim() || DEFAULT_CONTACT_TYPE_NAME;
  const inputName = candidate.inputType?.trim() || undefined;
  const memoKey = `${contactName}\u0000${inputName ?? ''}`;
  const memo = metadata ? resolvedByMetadata.get(metadata) : undefined;
  const remembered = memo?.get(memoKey);
  if (remembered) return remembered;

  const contact =
    !metadata && sameName(contactName, DEFAULT_CONTACT_TYPE_NAME)
      ? {
          id: VAN_CONTACT_TYPE_PHONE,
          check: {
            ok: true,
            message: `Contact Type "${contactName}" (VAN's usual id ${VAN_CONTACT_TYPE_PHONE})`,
          },
        }
      : resolveByName(
          'Contact Type',
          'contact type',
          contactName,
          metadata?.contactTypes,
          (t) => t.contactTypeId,
        );
  const input =
    inputName === undefined
      ? {
          id: VAN_INPUT_TYPE_API,
          check: { ok: true, message: `Input Type API (${VAN_INPUT_TYPE_API}), the default` },
        }
      : resolveByName('Input Type', 'input type', inputName, metadata?.inputTypes, (t) => t.inputTypeId);
  const resolved: CanvassTypes = {
    contactTypeId: contact.id,
    inputTypeId: input.id,
    checks: [contact.check, input.check],
  };
  if (metadata) {
    const entries = memo ?? new Map<string, CanvassTypes>();
    entries.set(memoKey, resolved);
    resolvedByMetadata.set(metadata, entries);
  }
  return resolved;
}

/** How far back validate looks for phone ids: a week of calling. */
export const PHONE_ID_LOOKBACK_DAYS = 7;

export const PHONE_ID_WHY =
  'VAN asks phone tools to send the phone id with every result: without it a wrong number or a ' +
  'disconnected line can disqualify the person in VAN instead of just that one phone. Add the ' +
  'phone_id column to the call export, or name the Livevox field that holds it (LIVEVOX_PHONE_ID_FIELD).';

export interface PhoneIdShare {
  days: number;
  calls: number;
  withPhoneId: number;
  /** 0–1; null without calls. */
  share: number | null;
  /** True when every recent call carries one (or there were none to judge). */
  ok: boolean;
  message: string;
}

/** The validate page's line about phone ids, from the counts of a candidate's recent calls. */
export function phoneIdShare(
  counts: { calls: number; withPhoneId: number },
  days = PHONE_ID_LOOKBACK_DAYS,
): PhoneIdShare {
  const { calls, withPhoneId } = counts;
  if (calls === 0) {
    return {
      days,
      calls,
      withPhoneId,
      share: null,
      ok: true,
      message: `No calls in the last ${days} days to judge.`,
    };
  }
  const share = withPhoneId / calls;
  const percent = Math.floor(share * 1000) / 10;
  const message = `${withPhoneId} of ${calls} calls of the last ${days} days (${percent}%) carry VAN's phone id.`;
  return { days, calls, withPhoneId, share, ok: withPhoneId === calls, message };
}

const IGNORED_ROW_MESSAGE = 'Neither Sync to System nor Include in CSV is checked: these calls are ignored';

function warningsFor(row: ResultConfigRow): string[] {
  const warnings: string[] = [];
  if (row.success === false && (row.questionResponses.length > 0 || row.tags.length > 0)) {
    warnings.push('QR pairs and Tags are not sent when Success is false');
  }
  if (row.success === true && row.canvassResultCode !== undefined) {
    warnings.push('Canvass Result Code is not sent when Success is true');
  }
  return warnings;
}

/**
 * Every check of one row. `metadata` is absent for candidates without VAN (System csv), whose
 * ids are never sent anywhere.
 */
export function validateConfigRow(row: ResultConfigRow, metadata: VanMetadata | undefined): RowValidation {
  const checks: ConfigCheck[] = [];
  if (row.rowError !== undefined) checks.push({ ok: false, message: row.rowError });
  // The decision ignores such a row (docs/behaviour.md#the-decision-for-one-call, step 2) before it looks at anything else, so nothing
  // else in it can make a call fail: flagging it would only bury the real errors.
  if (row.rowError === undefined && !row.syncToSystem && !row.includeInCsv) {
    return {
      rowId: row.rowId,
      fullOnScreenResult: row.fullOnScreenResult,
      displayName: row.displayName,
      ok: true,
      checks: [],
      warnings: [IGNORED_ROW_MESSAGE],
    };
  }
  checks.push(successCheck(row));
  const shape = requestShapeCheck(row);
  if (shape) checks.push(shape);
  if (metadata) checks.push(...metadataChecks(row, metadata));
  return {
    rowId: row.rowId,
    fullOnScreenResult: row.fullOnScreenResult,
    displayName: row.displayName,
    ok: checks.every((check) => check.ok),
    checks,
    warnings: warningsFor(row),
  };
}

export function validateResultTable(
  rows: readonly ResultConfigRow[],
  metadata: VanMetadata | undefined,
): TableValidation {
  const validated = rows.map((row) => validateConfigRow(row, metadata));
  const ok = validated.every((row) => row.ok);
  return { ok, header: ok ? VALIDATION_HEADER_OK : VALIDATION_HEADER_ERRORS, rows: validated };
}

/**
 * The widest Bulk Import row a `bulk` candidate's configuration can make: what validate checks
 * the key's mappings and their required fields against before the night. Each synced row adds its
 * result code, its survey responses and its tags; the candidate's Tag Ids ride on every call.
 */
export function bulkRowLayoutOf(
  candidate: Pick<Candidate, 'tagIds'>,
  rows: Pick<ResultConfigRow, 'syncToSystem' | 'canvassResultCode' | 'questionResponses' | 'tags'>[],
): BulkRowLayout {
  const synced = rows.filter((row) => row.syncToSystem);
  return {
    hasResultCodes: synced.some((row) => row.canvassResultCode !== undefined),
    surveyResponses: Math.max(0, ...synced.map((row) => row.questionResponses.length)),
    activistCodes: Math.max(0, ...synced.map((row) => row.tags.length)) + candidate.tagIds.length,
  };
}
