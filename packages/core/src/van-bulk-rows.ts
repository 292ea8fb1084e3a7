// The rows of a VAN Bulk Import file (docs/behaviour.md#van, strategy `bulk`): one row per call, built from the
// same canvass response the per-call path would post, so both paths send the same answers. The
// layout is fixed for a run: as many survey-response and activist-code column groups as its
// busiest call needs; a row leaves the groups it does not use empty, and VAN applies a mapping
// only where the row has its first field.

import type { VanCanvassRequest } from './van-canvass';

export interface BulkRowLayout {
  hasResultCodes: boolean;
  surveyResponses: number;
  activistCodes: number;
}

/** The mappings a layout needs, by role; the survey one is named by VAN (discovered). */
export interface BulkMappingNames {
  canvassResults: string;
  surveyResponse: string;
  activistCode: string;
}

const BULK_BASE_COLUMNS = ['VanID', 'ContactTypeID', 'DateCanvassed', 'Phone', 'ResultID'] as const;

export function emptyBulkRowLayout(): BulkRowLayout {
  return { hasResultCodes: false, surveyResponses: 0, activistCodes: 0 };
}

/** Widens a layout so that it holds this call's request. */
export function growBulkRowLayout(layout: BulkRowLayout, body: VanCanvassRequest): BulkRowLayout {
  const responses = body.responses ?? [];
  return {
    hasResultCodes: layout.hasResultCodes || body.resultCodeId !== undefined,
    surveyResponses: Math.max(
      layout.surveyResponses,
      responses.filter((r) => r.type === 'SurveyResponse').length,
    ),
    activistCodes: Math.max(layout.activistCodes, responses.filter((r) => r.type === 'ActivistCode').length),
  };
}

export function bulkColumns(layout: BulkRowLayout): string[] {
  const columns: string[] = [...BULK_BASE_COLUMNS];
  for (let i = 1; i <= layout.surveyResponses; i += 1)
    columns.push(`SurveyQuestionID${i}`, `SurveyResponseID${i}`);
  for (let i = 1; i <= layout.activistCodes; i += 1) columns.push(`ActivistCodeID${i}`);
  return columns;
}

/** The mappings of the job's action, in the order the results file reports them. */
export function bulkMappingUses(
  layout: BulkRowLayout,
  names: BulkMappingNames,
): { name: string; fieldValueMappings?: { fieldName: string; columnName: string }[] }[] {
  const uses: { name: string; fieldValueMappings?: { fieldName: string; columnName: string }[] }[] = [];
  if (layout.hasResultCodes) uses.push({ name: names.canvassResults });
  for (let i = 1; i <= layout.surveyResponses; i += 1) {
    uses.push({
      name: names.surveyResponse,
      fieldValueMappings: [
        { fieldName: 'SurveyQuestionID', columnName: `SurveyQuestionID${i}` },
        { fieldName: 'SurveyResponseID', columnName: `SurveyResponseID${i}` },
      ],
    });
  }
  for (let i = 1; i <= layout.activistCodes; i += 1) {
    uses.push({
      name: names.activistCode,
      fieldValueMappings: [{ fieldName: 'ActivistCodeID', columnName: `ActivistCodeID${i}` }],
    });
  }
  return uses;
}

/** One call's row, in the order of bulkColumns(layout). */
export function bulkRow(layout: BulkRowLayout, vanId: number, body: VanCanvassRequest): string[] {
  const context = body.canvassContext;
  const row = [
    String(vanId),
    String(context.contactTypeId),
    context.dateCanvassed,
    context.phone?.phoneNumber ?? '',
    body.resultCodeId === undefined ? '' : String(body.resultCodeId),
  ];
  const responses = body.responses ?? [];
  const surveys = responses.flatMap((r) => (r.type === 'SurveyResponse' ? [r] : []));
  const codes = responses.flatMap((r) => (r.type === 'ActivistCode' ? [r] : []));
  for (let i = 0; i < layout.surveyResponses; i += 1) {
    const survey = surveys[i];
    row.push(survey ? String(survey.surveyQuestionId) : '', survey ? String(survey.surveyResponseId) : '');
  }
  for (let i = 0; i < layout.activistCodes; i += 1) {
    const code = codes[i];
    row.push(code ? String(code.activistCodeId) : '');
  }
  return row;
}
