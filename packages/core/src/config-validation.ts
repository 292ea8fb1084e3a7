// The checks behind the `validate` page. The decision (step 6) reports a call's failure with
// the very same message, so an organiser who sees an error in a report finds it on the page.

import type { ResultConfigRow } from './result-config';
import type { VanMetadata } from './van-canvass';

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

export const VALIDATION_HEADER_OK = 'This sync is good to go!';
export const VALIDATION_HEADER_ERRORS = 'THIS SYNC HAS ERRORS';

const describe = (value: unknown): string => JSON.stringify(value) ?? String(value);

export function successCheck(row: ResultConfigRow): ConfigCheck {
  return typeof row.success === 'boolean'
    ? { ok: true, message: 'Success is a checkbox' }
    : { ok: false, message: `Success must be a checkbox (true/false), got ${describe(row.success.invalid)}` };
}

/** SPEC 3 step 4: VAN needs a result code for a non-contact, and responses for a contact. */
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

/** SPEC 3 step 6: the ids the request would carry, looked up in the run's VAN metadata. */
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

export const IGNORED_ROW_MESSAGE =
  'Neither Sync to System nor Include in CSV is checked: these calls are ignored';

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
  // The decision ignores such a row (SPEC 3 step 2) before it looks at anything else, so nothing
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
