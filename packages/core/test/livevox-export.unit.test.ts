import { parseTermCodes } from '../src/airtable-config';
import { isTestAccount, parseAccountNumber } from '../src/call';
import {
  parseExportTime,
  parseLivevoxExport,
  parseLivevoxExportRow,
  type LivevoxExportRow,
} from '../src/livevox-export';
import { buildTermCodeIndex } from '../src/term-codes';
import { termCodeRecords } from './fixtures/airtable-base';

const termCodes = buildTermCodeIndex(parseTermCodes(termCodeRecords).ok);
const context = {
  termCodes,
  clientForDistrict: (district: string) => (district === 'nc05' ? 'nc05-jane-doe' : undefined),
};

const row = (overrides: Partial<Record<string, string>> = {}): LivevoxExportRow => ({
  id: '9001',
  account_number: 'nc05-van-18372073',
  first_name: 'Ada',
  last_name: 'Byron',
  phone_dialed: '9195550142',
  connect: '03-11-2026 18:22:07',
  start: '03-11-2026 18:22:05',
  finish: '03-11-2026 18:25:40',
  caller_login: 'caller7',
  result: 'Agent Cust 1 (167)',
  campaign_id: 'C-12',
  ...overrides,
});

describe('account numbers', () => {
  it('splits district, system and voter id', () => {
    expect(parseAccountNumber('nc05-van-18372073')).toEqual({
      ok: true,
      value: { district: 'nc05', system: 'van', voterId: '18372073' },
    });
    expect(parseAccountNumber(' NC05-MYC-42 ')).toEqual({
      ok: true,
      value: { district: 'nc05', system: 'myc', voterId: '42' },
    });
  });

  it.each(['nc05-van', 'nc05-van-12a', 'nc05--123', '', 'nc05-van-1-2'])(
    'rejects %j with a clear error',
    (account) => {
      expect(parseAccountNumber(account)).toEqual({
        ok: false,
        error: expect.stringContaining('district-system-voterid'),
      });
    },
  );

  it('knows test accounts', () => {
    expect(isTestAccount('TEST123')).toBe(true);
    expect(isTestAccount('test-abc')).toBe(true);
    expect(isTestAccount('123457')).toBe(true);
    expect(isTestAccount('1234570')).toBe(false);
    expect(isTestAccount('nc05-van-123457')).toBe(false);
  });
});

describe('export times', () => {
  it('reads DD-MM-YYYY HH:MM:SS as Eastern time', () => {
    expect(parseExportTime('03-11-2026 18:22:05')).toEqual({
      ok: true,
      value: new Date('2026-11-03T23:22:05Z'),
    });
    expect(parseExportTime('04-07-2026 12:00:00')).toEqual({
      ok: true,
      value: new Date('2026-07-04T16:00:00Z'),
    });
  });

  it('a time in the spring-forward gap is an error', () => {
    expect(parseExportTime('08-03-2026 02:30:00')).toEqual({
      ok: false,
      error: '"08-03-2026 02:30:00" does not exist in Eastern time (skipped by the spring-forward change)',
    });
  });

  it('a time in the fall-back hour is its first occurrence (EDT)', () => {
    expect(parseExportTime('01-11-2026 01:30:00')).toEqual({
      ok: true,
      value: new Date('2026-11-01T05:30:00Z'),
    });
  });

  it.each(['2026-11-03 18:22:05', '31-02-2026 10:00:00', '03-11-2026 25:00:00', ''])('refuses %j', (text) => {
    expect(parseExportTime(text).ok).toBe(false);
  });
});

describe('export rows', () => {
  it('a good row becomes a call ready to upsert, with term-code attributes merged in', () => {
    expect(parseLivevoxExportRow(row(), 2, { ...context, serviceName: 'Jane Doe Calls' })).toEqual({
      kind: 'call',
      call: {
        id: '9001',
        account_number: 'nc05-van-18372073',
        district: 'nc05',
        system_id: 'van',
        voter_id: '18372073',
        first_name: 'Ada',
        last_name: 'Byron',
        phone_dialed: '9195550142',
        connect_time: new Date('2026-11-03T23:22:07Z'),
        start_time: new Date('2026-11-03T23:22:05Z'),
        finish_time: new Date('2026-11-03T23:25:40Z'),
        timestamp: new Date('2026-11-03T23:22:05Z'),
        caller_login: 'caller7',
        lv_result: 'Agent Cust 1 (167)',
        full_on_screen_result: 'Strong Support',
        dialed: true,
        contact: true,
        dropped: false,
        client: 'nc05-jane-doe',
        campaign_id: 'C-12',
        service_name: 'Jane Doe Calls',
      },
    });
  });

  it("a phone_id cell becomes the call's VAN phone id; an empty or absent one leaves it out", () => {
    const withId = parseLivevoxExportRow(row({ phone_id: ' 40012345 ' }), 2, context);
    expect(withId.kind === 'call' && withId.call.phone_id).toBe(40012345);
    for (const outcome of [
      parseLivevoxExportRow(row({ phone_id: '' }), 2, context),
      parseLivevoxExportRow(row(), 2, context),
    ]) {
      expect(outcome.kind).toBe('call');
      expect(outcome.kind === 'call' && 'phone_id' in outcome.call).toBe(false);
    }
  });

  it('a call that never connected has no connect time', () => {
    const outcome = parseLivevoxExportRow(row({ connect: '', result: 'Dropped' }), 2, context);
    expect(outcome.kind === 'call' && outcome.call.connect_time).toBeUndefined();
    expect(outcome.kind === 'call' && outcome.call.dropped).toBe(true);
  });

  it('a test account is skipped, not an error', () => {
    expect(parseLivevoxExportRow(row({ account_number: 'Test123', start: 'garbage' }), 7, context)).toEqual({
      kind: 'test-account',
      line: 7,
    });
  });

  it.each([
    [{ account_number: 'nc05-van' }, /district-system-voterid/],
    [{ result: ' ' }, /^result is empty$/],
    [{ start: '08-03-2026 02:15:00' }, /^start: .*spring-forward/],
    [{ start: '' }, /^start is empty$/],
    [{ finish: 'soon' }, /^finish: /],
    [{ id: '' }, /^id is empty$/],
    [{ phone_id: '12a' }, /^phone_id "12a" is not a VAN phone id/],
    [{ phone_id: '0' }, /^phone_id "0" is not a VAN phone id/],
    [{ phone_id: '-4' }, /^phone_id "-4" is not a VAN phone id/],
  ])('a bad row %j is an error with its line number', (overrides, message) => {
    expect(parseLivevoxExportRow(row(overrides), 12, context)).toEqual({
      kind: 'error',
      line: 12,
      message: expect.stringMatching(message),
    });
  });

  it('a whole export counts calls, skipped test accounts and errors by line', () => {
    const summary = parseLivevoxExport(
      [row(), row({ account_number: '123457' }), row({ id: '9002', result: '' }), row({ id: '9003' })],
      context,
    );
    expect(summary.calls.map((call) => call.id)).toEqual(['9001', '9003']);
    expect(summary.testAccountsSkipped).toBe(1);
    expect(summary.errors).toEqual([{ line: 4, message: 'result is empty' }]);
  });
});
