import { parseResultRows } from '../src/airtable-config';
import type { Call } from '../src/call';
import type { Candidate } from '../src/candidate';
import { decideCall, phoneNumberDigits, planForStrategy, type CallDecision } from '../src/decision';
import { buildConfigIndex } from '../src/result-config';
import { JANE_RESULT_TABLE, resultRecords } from './fixtures/airtable-base';
import { vanMetadata } from './fixtures/van-metadata';

const index = buildConfigIndex(parseResultRows(resultRecords, JANE_RESULT_TABLE).ok);
const full: Pick<Candidate, 'system' | 'strategy'> = { system: 'van', strategy: 'full' };

function call(overrides: Partial<Call> = {}): Call {
  const start = new Date('2026-11-03T23:22:05Z'); // 18:22:05 EST
  return {
    id: 'lv-1',
    account_number: 'nc05-van-18372073',
    district: 'nc05',
    system_id: 'van',
    voter_id: '18372073',
    first_name: 'Ada',
    last_name: 'Byron',
    phone_dialed: '+1 (919) 555-0142',
    start_time: start,
    timestamp: start,
    caller_login: 'caller7',
    lv_result: 'Agent Cust 1 (167)',
    full_on_screen_result: 'Strong Support',
    ...overrides,
  };
}

const decide = (overrides: Partial<Call>, candidate = full, metadata = vanMetadata): CallDecision =>
  decideCall(call(overrides), candidate, index, metadata);

describe('step 1: the configuration row', () => {
  it('a call whose result has no row is an unattempted error naming the result', () => {
    expect(decide({ full_on_screen_result: 'Spanish Speaker' })).toEqual({
      kind: 'unattempted_error',
      error: 'missing config for Spanish Speaker',
    });
  });

  it('a dropped call with no config row is ignored', () => {
    expect(decide({ full_on_screen_result: 'Dropped', dropped: true })).toEqual({
      kind: 'ignored',
      reason: 'dropped call',
    });
  });

  it('a call with an empty result says so', () => {
    expect(decide({ full_on_screen_result: '' })).toMatchObject({ error: 'missing config for (no result)' });
  });

  it.each(['Bad Code', 'Bad QR', 'Bad Tags', 'Busy'])(
    'a call whose row cannot be read (%s) carries the row error, whatever the strategy',
    (result) => {
      for (const strategy of ['full', 'hybrid', 'all csv', 'bulk'] as const) {
        const decision = decide({ full_on_screen_result: result }, { system: 'van', strategy });
        expect(decision.kind).toBe('unattempted_error');
        expect(decision.kind === 'unattempted_error' && decision.error).toBe(
          index.get(result.toLowerCase())?.rowError,
        );
      }
    },
  );

  it('a dropped call whose row is broken is still reported, not ignored', () => {
    expect(decide({ full_on_screen_result: 'Bad Code', dropped: true }).kind).toBe('unattempted_error');
  });
});

describe('step 2: neither Sync to System nor Include in CSV', () => {
  it('a call whose row syncs nowhere is ignored', () => {
    expect(decide({ full_on_screen_result: 'Hang Up' })).toMatchObject({
      kind: 'ignored',
      reason: 'neither Sync to System nor Include in CSV',
    });
  });
});

describe('step 3: Success that is not a checkbox', () => {
  it('is an invalid configuration', () => {
    expect(decide({ full_on_screen_result: 'Weird Success' })).toMatchObject({
      kind: 'unattempted_error',
      error: 'invalid configuration: Success must be a checkbox (true/false), got "yes"',
    });
  });
});

describe('step 4: a request VAN could not accept', () => {
  it('Success false without a result code is an invalid configuration', () => {
    expect(decide({ full_on_screen_result: 'No Code' })).toMatchObject({
      kind: 'unattempted_error',
      error: 'invalid configuration: Canvass Result Code is required when Success is false',
    });
  });

  it('Success true with neither QR pairs nor Tags is an invalid configuration', () => {
    expect(decide({ full_on_screen_result: 'Nothing To Send' })).toMatchObject({
      kind: 'unattempted_error',
      error: 'invalid configuration: Success rows need QR pairs or Tags (VAN needs one or the other)',
    });
  });
});

describe('step 5: CSV only', () => {
  it('a row included in CSV but not synced goes to the CSV', () => {
    expect(decide({ full_on_screen_result: 'Wrong Number' })).toMatchObject({ kind: 'csv' });
  });
});

describe('step 6: ids missing from the VAN metadata', () => {
  it('an unknown tag, question or response is refused before any VAN request, with validate’s messages', () => {
    expect(decide({ full_on_screen_result: 'Unknown Ids' })).toMatchObject({
      kind: 'unattempted_error',
      error:
        'Activist code 777 does not exist in VAN; ' +
        'QR 1: response 999 is not a response of survey question 11 (Support Jane?); ' +
        'QR 2: survey question 77 does not exist in VAN',
    });
  });

  it('an unknown result code is refused', () => {
    expect(decide({ full_on_screen_result: 'Unknown Code' })).toMatchObject({
      kind: 'unattempted_error',
      error: 'Result code 999 does not exist in VAN',
    });
  });

  it('is skipped when the run has no metadata, leaving the verdict to VAN', () => {
    expect(decideCall(call({ full_on_screen_result: 'Unknown Code' }), full, index, undefined).kind).toBe(
      'post',
    );
  });

  it('is skipped for System csv and all csv, whose ids are never sent', () => {
    expect(decide({ full_on_screen_result: 'Unknown Ids' }, { system: 'csv', strategy: 'full' }).kind).toBe(
      'csv',
    );
    expect(
      decide({ full_on_screen_result: 'Unknown Ids' }, { system: 'van', strategy: 'all csv' }).kind,
    ).toBe('csv');
  });
});

describe('step 7: the canvass response', () => {
  const context = {
    contactTypeId: 81, // "Phone" in this key's contact types
    inputTypeId: 11,
    dateCanvassed: '2026-11-03T18:22:05-05:00',
    phone: { dialingPrefix: '1', phoneNumber: '9195550142' },
    skipMatching: true,
  };

  it('Success false sends the result code only', () => {
    expect(decide({ full_on_screen_result: 'Not Home' })).toMatchObject({
      kind: 'post',
      vanId: 18372073,
      body: { canvassContext: context, resultCodeId: 4 },
    });
    const decision = decide({ full_on_screen_result: 'Not Home' });
    expect(decision.kind === 'post' && 'responses' in decision.body).toBe(false);
  });

  it('Success true sends survey responses and applied activist codes, no result code', () => {
    const decision = decide({});
    expect(decision).toEqual({
      kind: 'post',
      vanId: 18372073,
      row: index.get('strong support'),
      body: {
        canvassContext: { ...context, omitActivistCodeContactHistory: true },
        responses: [
          { type: 'SurveyResponse', surveyQuestionId: 11, surveyResponseId: 111 },
          { type: 'ActivistCode', activistCodeId: 501, action: 'Apply' },
        ],
      },
    });
  });

  it('keeps contact history for activist codes when they are the only record of the conversation', () => {
    const decision = decide({ full_on_screen_result: 'Tags Only' });
    expect(decision.kind === 'post' && decision.body.canvassContext.omitActivistCodeContactHistory).toBe(
      false,
    );
  });

  it('never sends a result code with responses, even if the row has one', () => {
    const decision = decide({ full_on_screen_result: 'Volunteer' });
    expect(decision.kind === 'post' && decision.body.resultCodeId).toBeUndefined();
    expect(decision.kind === 'post' && decision.body.responses).toHaveLength(3);
  });

  it('dates the canvass in Eastern daylight time in summer', () => {
    const summer = new Date('2026-07-04T16:00:00Z');
    const decision = decide({ timestamp: summer, start_time: summer });
    expect(decision.kind === 'post' && decision.body.canvassContext.dateCanvassed).toBe(
      '2026-07-04T12:00:00-04:00',
    );
  });

  it('refuses a phone that is not a 10-digit US number', () => {
    expect(decide({ phone_dialed: '555-0142' })).toMatchObject({
      kind: 'unattempted_error',
      error: 'bad dialer data: phone_dialed "555-0142" is not a 10-digit US number',
    });
  });

  it('refuses a voter id from another voter file than the candidate’s', () => {
    expect(decide({ system_id: 'myc' })).toMatchObject({
      kind: 'unattempted_error',
      error: 'bad dialer data: account system "myc" does not match the candidate\'s System "van"',
    });
  });

  it('refuses a call without a valid timestamp', () => {
    expect(decide({ timestamp: new Date(NaN) })).toMatchObject({
      error: 'bad dialer data: the call has no valid timestamp',
    });
  });

  it('refuses a voter id that is not a number', () => {
    expect(decide({ voter_id: '18x' })).toMatchObject({
      error: 'bad dialer data: voter id "18x" is not a VAN id',
    });
  });

  it('CSV-only candidates send would-be posts to the CSV without building a request', () => {
    expect(decide({ phone_dialed: '' }, { system: 'csv', strategy: 'hybrid' })).toMatchObject({
      kind: 'csv',
    });
  });
});

describe('phoneId', () => {
  it('a call with a phone id sends it together with the full phone', () => {
    const decision = decide({ phone_id: 40012345 });
    expect(decision.kind === 'post' && decision.body.canvassContext).toMatchObject({
      phoneId: 40012345,
      phone: { dialingPrefix: '1', phoneNumber: '9195550142' },
    });
  });

  it('a call without one still posts with the number, and no phoneId key at all', () => {
    const decision = decide({});
    expect(decision.kind).toBe('post');
    expect(decision.kind === 'post' && decision.body.canvassContext.phone).toEqual({
      dialingPrefix: '1',
      phoneNumber: '9195550142',
    });
    expect(decision.kind === 'post' && 'phoneId' in decision.body.canvassContext).toBe(false);
  });

  it('a stored phone id that is not a whole number is bad dialer data, never sent', () => {
    expect(decide({ phone_id: 4.5 })).toMatchObject({
      kind: 'unattempted_error',
      error: 'bad dialer data: phone_id 4.5 is not a VAN phone id',
    });
  });
});

describe('contact and input types', () => {
  const withTypes = (contactType: string | undefined, inputType?: string) => ({
    ...full,
    ...(contactType === undefined ? {} : { contactType }),
    inputType,
  });
  const contextOf = (decision: CallDecision) =>
    decision.kind === 'post' ? decision.body.canvassContext : undefined;

  it("resolves the Contact Type by name, ignoring case and spaces, to this key's id", () => {
    expect(contextOf(decide({}, withTypes('Auto Dial')))).toMatchObject({
      contactTypeId: 94,
      inputTypeId: 11,
    });
    expect(contextOf(decide({}, withTypes('  phone   BANK ')))).toMatchObject({ contactTypeId: 107 });
  });

  it('an absent Contact Type is Phone, looked up like any other', () => {
    expect(contextOf(decide({}, withTypes(undefined)))).toMatchObject({ contactTypeId: 81 });
  });

  it('an Input Type named in the listing replaces API', () => {
    expect(contextOf(decide({}, withTypes('Phone', 'vpb')))).toMatchObject({
      contactTypeId: 81,
      inputTypeId: 14,
    });
  });

  it('an unknown Contact Type fails the calls that would post, with the list VAN has', () => {
    const message =
      'Contact Type "Robocall" does not exist in VAN for this key (it has: Phone, Walk, Auto Dial, Phone Bank)';
    expect(decide({}, withTypes('Robocall'))).toMatchObject({ kind: 'unattempted_error', error: message });
    expect(decide({ full_on_screen_result: 'Not Home' }, withTypes('Robocall'))).toMatchObject({
      kind: 'unattempted_error',
      error: message,
    });
    // A call bound for the CSV never needed a contact type.
    expect(decide({ full_on_screen_result: 'Wrong Number' }, withTypes('Robocall')).kind).toBe('csv');
  });

  it('an unknown Input Type fails them too', () => {
    expect(decide({}, withTypes('Phone', 'Fax'))).toMatchObject({
      kind: 'unattempted_error',
      error: 'Input Type "Fax" does not exist in VAN for this key (it has: Grid, API, VPB)',
    });
  });

  it("joins a row's unknown ids and an unknown contact type in one message", () => {
    expect(decide({ full_on_screen_result: 'Unknown Code' }, withTypes('Robocall'))).toMatchObject({
      error: expect.stringMatching(
        /^Result code 999 does not exist in VAN; Contact Type "Robocall" does not exist/,
      ),
    });
  });

  it("without metadata only the defaults resolve, to VAN's usual Phone 1 and API 11", () => {
    const decision = decideCall(call(), full, index, undefined);
    expect(contextOf(decision)).toMatchObject({ contactTypeId: 1, inputTypeId: 11 });
    expect(decideCall(call(), withTypes('Auto Dial'), index, undefined)).toMatchObject({
      kind: 'unattempted_error',
      error: 'Contact Type "Auto Dial" cannot be checked: VAN\'s contact types were not read',
    });
  });
});

describe('phone numbers', () => {
  it.each([
    ['+19195550142', '9195550142'],
    ['(919) 555-0142', '9195550142'],
    ['1-919-555-0142', '9195550142'],
    ['919555014', undefined],
    ['29195550142', undefined],
  ])('%s → %s', (input, expected) => {
    expect(phoneNumberDigits(input)).toBe(expected);
  });
});

describe('plans per strategy', () => {
  const post = decide({});
  const csv = decide({ full_on_screen_result: 'Wrong Number' });
  const ignored = decide({ full_on_screen_result: 'Hang Up' });
  const error = decide({ full_on_screen_result: 'No Code' });

  it('full posts to VAN and leaves step-5 calls queued_for_csv with no file', () => {
    expect(planForStrategy(post, { system: 'van', strategy: 'full' })).toEqual({
      status: 'in_progress',
      route: 'van',
    });
    expect(planForStrategy(csv, { system: 'van', strategy: 'full' })).toEqual({
      status: 'queued_for_csv',
      route: 'none',
    });
  });

  it('hybrid posts to VAN and exports step-5 calls after the VAN part', () => {
    expect(planForStrategy(post, { system: 'myc', strategy: 'hybrid' })).toEqual({
      status: 'in_progress',
      route: 'van',
    });
    expect(planForStrategy(csv, { system: 'myc', strategy: 'hybrid' })).toEqual({
      status: 'queued_for_csv',
      route: 'csv-after-van',
    });
  });

  it('all csv sends both posts and step-5 calls to the CSV', () => {
    expect(planForStrategy(post, { system: 'van', strategy: 'all csv' })).toEqual({
      status: 'in_progress',
      route: 'csv',
    });
    expect(planForStrategy(csv, { system: 'van', strategy: 'all csv' })).toEqual({
      status: 'in_progress',
      route: 'csv',
    });
  });

  it('System csv sends everything worth keeping to the CSV whatever the strategy', () => {
    expect(planForStrategy(post, { system: 'csv', strategy: 'full' })).toEqual({
      status: 'in_progress',
      route: 'csv',
    });
    expect(planForStrategy(csv, { system: 'csv', strategy: 'hybrid' })).toEqual({
      status: 'in_progress',
      route: 'csv',
    });
  });

  it('bulk sends posts to the bulk import job and keeps step-5 calls queued', () => {
    expect(planForStrategy(post, { system: 'van', strategy: 'bulk' })).toEqual({
      status: 'in_progress',
      route: 'van-bulk',
    });
    expect(planForStrategy(csv, { system: 'van', strategy: 'bulk' })).toEqual({
      status: 'queued_for_csv',
      route: 'none',
    });
  });

  it('ignored and unattempted calls are settled at claim time under every strategy', () => {
    for (const strategy of ['full', 'hybrid', 'all csv', 'bulk'] as const) {
      expect(planForStrategy(ignored, { system: 'van', strategy })).toEqual({
        status: 'ignored',
        route: 'none',
        reason: 'neither Sync to System nor Include in CSV',
      });
      expect(planForStrategy(error, { system: 'van', strategy })).toMatchObject({
        status: 'unattempted_error',
        route: 'none',
      });
    }
  });
});
