import {
  planBulkImportMappings,
  refusedBeforeCreation,
  unfilledBulkImportFields,
  VanAuthError,
  VanBudgetExhaustedError,
  VanOutcomeUnknownError,
  VanServerError,
  VanThrottledError,
  VanValidationError,
  type BulkImportMappingType,
} from '../src';

// Which fields a Bulk Import job fills, read from VAN's mapping types, and which failed creations
// prove that no job exists (pure functions; the runner's use of them is tested on real servers).

const field = (name: string, isRequired: boolean) => ({ name, isRequired });

/** Mapping types as VAN answers them for a key whose CanvassResults requires CanvassedBy. */
const TYPES: BulkImportMappingType[] = [
  {
    name: 'CanvassResults',
    resourceTypes: ['Contacts'],
    fields: [
      field('ResultID', true),
      field('ContactTypeID', true),
      field('DateCanvassed', true),
      field('CanvassedBy', true),
      field('Phone', false),
    ],
  },
  {
    name: 'ApplySurveyResponse',
    resourceTypes: ['Contacts'],
    fields: [
      field('SurveyQuestionID', true),
      field('SurveyResponseID', true),
      field('CanvassedBy', false),
      field('DateCanvassed', false),
    ],
  },
  {
    name: 'ActivistCode',
    resourceTypes: ['Contacts'],
    fields: [field('ActivistCodeID', true), field('PhoneTypeID', true)],
  },
];

const LAYOUT = { hasResultCodes: true, surveyResponses: 1, activistCodes: 0 };

test('CanvassedBy is filled with the user on every mapping that has the field', () => {
  const plan = planBulkImportMappings(TYPES, LAYOUT, 51001);
  expect(plan.unfilled).toEqual([]);
  expect(plan.needsCanvassedBy).toBe(true);
  expect(plan.uses).toEqual([
    { name: 'CanvassResults', fieldValueMappings: [{ fieldName: 'CanvassedBy', staticValue: 51001 }] },
    {
      name: 'ApplySurveyResponse',
      fieldValueMappings: [
        { fieldName: 'SurveyQuestionID', columnName: 'SurveyQuestionID1' },
        { fieldName: 'SurveyResponseID', columnName: 'SurveyResponseID1' },
        { fieldName: 'CanvassedBy', staticValue: 51001 },
      ],
    },
  ]);
});

test('a required field nothing fills is named, with the mapping that requires it', () => {
  const noUser = planBulkImportMappings(TYPES, LAYOUT, undefined);
  expect(noUser.unfilled).toEqual(['CanvassedBy (CanvassResults)']);
  expect(unfilledBulkImportFields(noUser, undefined)).toBe(
    'VAN Bulk Import fields required that the run cannot fill: CanvassedBy (CanvassResults) ' +
      "(the key's profile, GET /apiKeyProfiles, names no VAN user to canvass by)",
  );

  const withCodes = planBulkImportMappings(TYPES, { ...LAYOUT, activistCodes: 1 }, 51001);
  expect(withCodes.unfilled).toEqual(['PhoneTypeID (ActivistCode)']);
  expect(unfilledBulkImportFields(withCodes, 51001)).toBe(
    'VAN Bulk Import fields required that the run cannot fill: PhoneTypeID (ActivistCode)',
  );
});

test('a mapping whose CanvassedBy is optional needs no user', () => {
  const plan = planBulkImportMappings(
    [
      {
        name: 'CanvassResults',
        resourceTypes: [],
        fields: [field('ResultID', true), field('CanvassedBy', false)],
      },
    ],
    { hasResultCodes: true, surveyResponses: 0, activistCodes: 0 },
    undefined,
  );
  expect(plan).toEqual({ uses: [{ name: 'CanvassResults' }], unfilled: [], needsCanvassedBy: false });
  expect(unfilledBulkImportFields(plan, undefined)).toBeUndefined();
});

test('only a refusal VAN answered, or a request never sent, proves no job was created', () => {
  const endpoint = '/bulkImportJobs';
  const refusal = new VanValidationError(endpoint, 400, [
    { code: 'INVALID_PARAMETER', text: "'CanvassedBy' is required by the mapping type 'CanvassResults'." },
  ]);
  expect(refusedBeforeCreation(refusal)).toBe(true);
  expect(refusedBeforeCreation(new VanAuthError(endpoint, 401))).toBe(true);
  expect(refusedBeforeCreation(new VanThrottledError(endpoint, 'Rate limit exceeded.', undefined))).toBe(
    true,
  );
  expect(refusedBeforeCreation(new VanBudgetExhaustedError(endpoint, 'key-1234'))).toBe(true);

  expect(refusedBeforeCreation(new VanOutcomeUnknownError(endpoint, 'timeout'))).toBe(false);
  expect(refusedBeforeCreation(new VanOutcomeUnknownError(endpoint, 'server-error', 500))).toBe(false);
  expect(
    refusedBeforeCreation(new VanValidationError(endpoint, 408, [{ code: '408', text: 'timeout' }])),
  ).toBe(false);
  expect(refusedBeforeCreation(new VanServerError(endpoint, undefined, 'connection failed'))).toBe(false);
  // MongoDB failing while the job is recorded or its request counted.
  const mongo = Object.assign(new Error('connection 3 to 127.0.0.1:27017 closed'), {
    name: 'MongoNetworkError',
  });
  expect(refusedBeforeCreation(mongo)).toBe(false);
});
