import type { VanErrorItem } from '@call-sync/core';
import type { VanContactType, VanInputType, VanKeyFixture } from './fixture';

// The checks VAN makes on `POST /v4/people/{vanId}/canvassResponses`, with VAN's wording where
// we know it ("'resultCodeId' must be a valid result code in the current context."), so that the
// client's error handling and the `validate` page are exercised against realistic answers.

export const DEFAULT_CONTACT_TYPES: VanContactType[] = [
  { contactTypeId: 1, name: 'Phone', channelTypeName: 'Phone' },
  { contactTypeId: 2, name: 'Walk', channelTypeName: 'Walk' },
  { contactTypeId: 37, name: 'SMS Text', channelTypeName: 'SMS' },
];
export const DEFAULT_INPUT_TYPES: VanInputType[] = [
  { inputTypeId: 4, name: 'Grid' },
  { inputTypeId: 10, name: 'Bulk' },
  { inputTypeId: 11, name: 'API' },
  { inputTypeId: 14, name: 'VPB' },
];

type Violation = Omit<VanErrorItem, 'referenceCode'>;

function invalid(property: string, text: string): Violation {
  return { code: 'INVALID_PARAMETER', text, properties: [property] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isInteger = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);

/** Returns VAN's complaints about a canvass response body for this key; empty when VAN would accept it. */
export function checkCanvassResponse(body: unknown, key: VanKeyFixture): Violation[] {
  if (!isRecord(body)) {
    return [invalid('body', 'The request body must be a JSON object.')];
  }
  const violations: Violation[] = [];
  const context = body.canvassContext;
  if (!isRecord(context)) {
    violations.push(invalid('canvassContext', "'canvassContext' is required."));
  } else {
    violations.push(...checkCanvassContext(context, key));
  }

  const hasResultCode = body.resultCodeId !== undefined && body.resultCodeId !== null;
  const hasResponses = body.responses !== undefined && body.responses !== null;
  if (hasResultCode && hasResponses) {
    violations.push({
      code: 'INVALID_PARAMETER',
      text: "Only one of 'resultCodeId' or 'responses' may be specified.",
      properties: ['resultCodeId', 'responses'],
    });
  } else if (!hasResultCode && !hasResponses) {
    violations.push({
      code: 'INVALID_PARAMETER',
      text: "Either 'resultCodeId' or 'responses' must be specified.",
      properties: ['resultCodeId', 'responses'],
    });
  } else if (hasResultCode) {
    const known = key.resultCodes.some((code) => code.resultCodeId === body.resultCodeId);
    if (!isInteger(body.resultCodeId) || !known) {
      violations.push(
        invalid('resultCodeId', "'resultCodeId' must be a valid result code in the current context."),
      );
    }
  } else {
    violations.push(...checkResponses(body.responses, key));
  }
  return violations;
}

function checkCanvassContext(context: Record<string, unknown>, key: VanKeyFixture): Violation[] {
  const violations: Violation[] = [];
  const contactTypes = key.contactTypes ?? DEFAULT_CONTACT_TYPES;
  const inputTypes = key.inputTypes ?? DEFAULT_INPUT_TYPES;
  if (!contactTypes.some((type) => type.contactTypeId === context.contactTypeId)) {
    violations.push(
      invalid(
        'canvassContext.contactTypeId',
        "'contactTypeId' must be a valid contact type in the current context.",
      ),
    );
  }
  if (
    context.inputTypeId !== undefined &&
    !inputTypes.some((type) => type.inputTypeId === context.inputTypeId)
  ) {
    violations.push(invalid('canvassContext.inputTypeId', "'inputTypeId' must be a valid input type."));
  }
  if (
    context.dateCanvassed !== undefined &&
    (typeof context.dateCanvassed !== 'string' || Number.isNaN(Date.parse(context.dateCanvassed)))
  ) {
    violations.push(invalid('canvassContext.dateCanvassed', "'dateCanvassed' must be a valid date."));
  }
  if (context.phone !== undefined) {
    const phone = context.phone;
    const digits =
      isRecord(phone) && typeof phone.phoneNumber === 'string' ? phone.phoneNumber.replace(/\D/g, '') : '';
    if (digits.length < 7 || digits.length > 15) {
      violations.push(
        invalid('canvassContext.phone.phoneNumber', "'phoneNumber' must be a valid phone number."),
      );
    }
    if (isRecord(phone) && phone.dialingPrefix !== undefined) {
      const prefix = phone.dialingPrefix;
      if (typeof prefix !== 'string' || !/^\d{1,4}$/.test(prefix)) {
        violations.push(
          invalid('canvassContext.phone.dialingPrefix', "'dialingPrefix' must be a country calling code."),
        );
      }
    }
  }
  // VAN's id of one of the person's phones: a whole number, as VAN's people and phones report it.
  if (context.phoneId !== undefined && !(isInteger(context.phoneId) && context.phoneId > 0)) {
    violations.push(invalid('canvassContext.phoneId', "'phoneId' must be an integer."));
  }
  for (const flag of ['skipMatching', 'omitActivistCodeContactHistory']) {
    if (context[flag] !== undefined && typeof context[flag] !== 'boolean') {
      violations.push(invalid(`canvassContext.${flag}`, `'${flag}' must be true or false.`));
    }
  }
  return violations;
}

function checkResponses(responses: unknown, key: VanKeyFixture): Violation[] {
  if (!Array.isArray(responses) || responses.length === 0) {
    return [invalid('responses', "'responses' must be a non-empty array.")];
  }
  const violations: Violation[] = [];
  responses.forEach((item: unknown, index) => {
    const at = `responses[${index}]`;
    if (!isRecord(item)) {
      violations.push(invalid(at, 'Each response must be an object.'));
      return;
    }
    if (item.type === 'SurveyResponse') {
      const question = key.surveyQuestions.find((q) => q.surveyQuestionId === item.surveyQuestionId);
      if (!question) {
        violations.push(
          invalid(
            `${at}.surveyQuestionId`,
            "'surveyQuestionId' must be a valid survey question in the current context.",
          ),
        );
      } else if (!question.responses.some((r) => r.surveyResponseId === item.surveyResponseId)) {
        violations.push(
          invalid(
            `${at}.surveyResponseId`,
            `'surveyResponseId' must be a valid response to survey question ${question.surveyQuestionId}.`,
          ),
        );
      }
    } else if (item.type === 'ActivistCode') {
      if (!key.activistCodes.some((code) => code.activistCodeId === item.activistCodeId)) {
        violations.push(
          invalid(
            `${at}.activistCodeId`,
            "'activistCodeId' must be a valid activist code in the current context.",
          ),
        );
      }
      if (item.action !== 'Apply' && item.action !== 'Remove') {
        violations.push(invalid(`${at}.action`, "'action' must be 'Apply' or 'Remove'."));
      }
    } else {
      violations.push(
        invalid(`${at}.type`, "'type' must be 'SurveyResponse', 'ActivistCode' or 'VolunteerActivity'."),
      );
    }
  });
  return violations;
}
