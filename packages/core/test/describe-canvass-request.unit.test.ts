import { describeCanvassRequest, type VanMetadata } from '../src';

const context = { contactTypeId: 1, inputTypeId: 11, dateCanvassed: '2026-11-03T18:22:05-05:00' };
const metadata: VanMetadata = {
  resultCodes: [{ resultCodeId: 18, name: 'Not Home' }],
  activistCodes: [{ activistCodeId: 4501, name: 'Volunteer Prospect' }],
  surveyQuestions: [
    {
      surveyQuestionId: 301,
      name: 'Support 2026',
      responses: [{ surveyResponseId: 1201, name: 'Strong support' }],
    },
  ],
  contactTypes: [],
  inputTypes: [],
};

describe('describeCanvassRequest', () => {
  test('names a result code from the metadata', () => {
    expect(describeCanvassRequest({ canvassContext: context, resultCodeId: 18 }, metadata)).toEqual([
      { type: 'ResultCode', resultCodeId: 18, name: 'Not Home' },
    ]);
  });

  test('names survey responses and activist codes, and leaves unknown ids unnamed', () => {
    const body = {
      canvassContext: context,
      responses: [
        { type: 'SurveyResponse' as const, surveyQuestionId: 301, surveyResponseId: 1201 },
        { type: 'SurveyResponse' as const, surveyQuestionId: 301, surveyResponseId: 9 },
        { type: 'ActivistCode' as const, activistCodeId: 4501, action: 'Apply' as const },
      ],
    };
    expect(describeCanvassRequest(body, metadata)).toEqual([
      {
        type: 'SurveyResponse',
        surveyQuestionId: 301,
        question: 'Support 2026',
        surveyResponseId: 1201,
        response: 'Strong support',
      },
      {
        type: 'SurveyResponse',
        surveyQuestionId: 301,
        question: 'Support 2026',
        surveyResponseId: 9,
        response: null,
      },
      { type: 'ActivistCode', activistCodeId: 4501, name: 'Volunteer Prospect', action: 'Apply' },
    ]);
  });

  test('without metadata, ids only', () => {
    expect(describeCanvassRequest({ canvassContext: context, resultCodeId: 18 })).toEqual([
      { type: 'ResultCode', resultCodeId: 18, name: null },
    ]);
  });
});
