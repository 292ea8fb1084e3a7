// The body of VAN API v4 `POST /people/{vanId}/canvassResponses`, as VAN documents it.
// The decision (core) builds it; the VAN client (integrations) posts it; the VAN sandbox
// validates it. One definition so the three cannot drift apart.

/**
 * VAN's usual contact type id for a phone call. Committees can differ, so runs resolve the
 * candidate's Contact Type by name (resolveCanvassTypes); this id is used only without metadata.
 */
export const VAN_CONTACT_TYPE_PHONE = 1;
/** VAN's input type id for "API", what every post is unless the listing names another. */
export const VAN_INPUT_TYPE_API = 11;
/** The listing's Contact Type when the cell is empty. */
export const DEFAULT_CONTACT_TYPE_NAME = 'Phone';
/** The dialing prefix of the ten-digit US numbers the decision sends. */
export const US_DIALING_PREFIX = '1';

interface VanPhone {
  dialingPrefix?: string;
  phoneNumber: string;
}

export interface VanCanvassContext {
  contactTypeId: number;
  inputTypeId: number;
  /** ISO 8601 with offset, e.g. 2026-11-03T18:22:05-05:00 */
  dateCanvassed: string;
  phone?: VanPhone;
  phoneId?: number;
  /**
   * VAN merges repeated attempts of the same contact type and result within about an hour
   * unless this is true; each dialer call is a real attempt, so we never want that merge.
   */
  skipMatching?: boolean;
  /** Activist codes that are not canvass outcomes must not inflate contact history. */
  omitActivistCodeContactHistory?: boolean;
}

interface VanSurveyResponse {
  type: 'SurveyResponse';
  surveyQuestionId: number;
  surveyResponseId: number;
}

interface VanActivistCodeResponse {
  type: 'ActivistCode';
  activistCodeId: number;
  action: 'Apply' | 'Remove';
}

export type VanResponseItem = VanSurveyResponse | VanActivistCodeResponse;

/** Either a non-contact (`resultCodeId`) or a contact with `responses`; never both. */
export type VanCanvassRequest =
  | { canvassContext: VanCanvassContext; resultCodeId: number; responses?: never }
  | { canvassContext: VanCanvassContext; responses: VanResponseItem[]; resultCodeId?: never };

/** VAN's error body: `{"errors":[{"code","text","properties":[...],"referenceCode"}]}`. */
export interface VanErrorItem {
  code: string;
  text: string;
  properties?: string[];
  referenceCode?: string;
}

/** VAN metadata a run fetches once: what ids exist for this key. */
export interface VanSurveyQuestion {
  surveyQuestionId: number;
  name: string;
  shortName?: string;
  type?: string;
  cycle?: number;
  status?: string;
  scriptQuestion?: string;
  responses: { surveyResponseId: number; name: string; mediumName?: string; shortName?: string }[];
}
export interface VanActivistCode {
  activistCodeId: number;
  name: string;
  type?: string;
  description?: string;
  status?: string;
}
export interface VanResultCode {
  resultCodeId: number;
  name: string;
  mediumName?: string;
  shortName?: string;
}
export interface VanContactType {
  contactTypeId: number;
  name: string;
  channelTypeName?: string;
}
export interface VanInputType {
  inputTypeId: number;
  name: string;
}
export interface VanMetadata {
  surveyQuestions: VanSurveyQuestion[];
  activistCodes: VanActivistCode[];
  resultCodes: VanResultCode[];
  /** `GET /canvassResponses/contactTypes`: the candidate's Contact Type is looked up here by name. */
  contactTypes: VanContactType[];
  /** `GET /canvassResponses/inputTypes`: for a listing that names an Input Type other than API. */
  inputTypes: VanInputType[];
}

/** One thing a canvass response told VAN, with VAN's name for it when the metadata has it. */
export type SentItem =
  | { type: 'ResultCode'; resultCodeId: number; name: string | null }
  | {
      type: 'SurveyResponse';
      surveyQuestionId: number;
      question: string | null;
      surveyResponseId: number;
      response: string | null;
    }
  | { type: 'ActivistCode'; activistCodeId: number; name: string | null; action: 'Apply' | 'Remove' };

/**
 * What a stored canvass request said, in ids and (with the key's metadata) in words, for a person
 * who looks for that contact in VAN. An id the metadata does not know keeps a null name.
 */
export function describeCanvassRequest(body: VanCanvassRequest, metadata?: VanMetadata): SentItem[] {
  if (body.resultCodeId !== undefined) {
    const code = metadata?.resultCodes.find((c) => c.resultCodeId === body.resultCodeId);
    return [{ type: 'ResultCode', resultCodeId: body.resultCodeId, name: code?.name ?? null }];
  }
  return (body.responses ?? []).map((item): SentItem => {
    if (item.type === 'ActivistCode') {
      const code = metadata?.activistCodes.find((c) => c.activistCodeId === item.activistCodeId);
      return { ...item, name: code?.name ?? null };
    }
    const question = metadata?.surveyQuestions.find((q) => q.surveyQuestionId === item.surveyQuestionId);
    const response = question?.responses.find((r) => r.surveyResponseId === item.surveyResponseId);
    return { ...item, question: question?.name ?? null, response: response?.name ?? null };
  });
}
