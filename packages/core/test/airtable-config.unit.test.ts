import { inspect } from 'node:util';
import { parseCandidates, parseResultRows, parseTermCodes } from '../src/airtable-config';
import { buildConfigIndex, findResultRow } from '../src/result-config';
import { applyTermCodes, buildTermCodeIndex, normaliseLivevoxResult } from '../src/term-codes';
import { JANE_RESULT_TABLE, listingRecords, resultRecords, termCodeRecords } from './fixtures/airtable-base';

describe('listing table', () => {
  const parsed = parseCandidates(listingRecords);
  const bySlug = new Map(parsed.ok.map((candidate) => [candidate.slug, candidate]));
  const errorsFor = (rowId: string) => parsed.errors.filter((error) => error.rowId === rowId);

  it('reads good rows into candidates with slug, lists and Eastern sync hour', () => {
    expect([...bySlug.keys()]).toEqual(['nc05-jane-doe', 'tx07-sam-lee', 'ca12-ana-ruiz', 'ga02-kim-park']);
    const jane = bySlug.get('nc05-jane-doe');
    expect(jane).toMatchObject({
      referenceName: 'NC05 Jane Doe',
      serviceNames: ['Jane Doe Calls', 'Jane Doe GOTV'],
      district: 'nc05',
      system: 'van',
      tagIds: [501, 502],
      active: true,
      strategy: 'full',
      sendReportTo: 'field@janedoe.example',
      syncHourEastern: 20,
    });
    expect(jane?.apiKey?.reveal()).toBe('jane-van-key');
  });

  it('matches System and Strategy case-insensitively and reads "21:00" as hour 21', () => {
    expect(bySlug.get('tx07-sam-lee')).toMatchObject({
      system: 'myc',
      strategy: 'hybrid',
      syncHourEastern: 21,
      active: false,
    });
  });

  it('reads Contact Type (default Phone) and Input Type (default none: API) as names', () => {
    expect(bySlug.get('nc05-jane-doe')).toMatchObject({ contactType: 'Phone', inputType: undefined });
    expect(bySlug.get('tx07-sam-lee')).toMatchObject({ contactType: 'Auto Dial', inputType: 'VPB' });
  });

  it('reads Sync Mode case-insensitively, nightly when the cell is empty', () => {
    expect(bySlug.get('nc05-jane-doe')?.syncMode).toBe('nightly');
    expect(bySlug.get('ga02-kim-park')?.syncMode).toBe('continuous');
  });

  it('lets a csv candidate go without an API key', () => {
    expect(bySlug.get('ca12-ana-ruiz')).toMatchObject({
      system: 'csv',
      strategy: 'all csv',
      apiKey: undefined,
    });
  });

  it('never shows the API key in logs or JSON', () => {
    const jane = bySlug.get('nc05-jane-doe');
    expect(JSON.stringify(jane)).not.toContain('jane-van-key');
    expect(inspect(jane, { depth: 5 })).not.toContain('jane-van-key');
    expect(`${jane?.apiKey}`).toBe('[secret]');
  });

  it.each([
    ['recListNoDistrict', 'no-district', 'District Abbreviation', /required/],
    [
      'recListBadStrategy',
      'bad-strategy',
      'Strategy',
      /must be one of full, hybrid, all csv, bulk, got "half"/,
    ],
    ['recListBadSystem', 'bad-system', 'System', /must be one of van, myc, csv, got "pdi"/],
    ['recListNoKey', 'no-key', 'API Key', /required for System van/],
    ['recListBadHour', 'bad-hour', 'Sync Time (EST)', /hour of day 0–23/],
    ['recListBadTags', 'bad-tags', 'Tag Ids', /comma list of whole number ids/],
    ['recListBadSyncMode', 'bad-sync-mode', 'Sync Mode', /must be one of nightly, continuous, got "hourly"/],
    [
      'recListContinuousBulk',
      'continuous-bulk',
      'Sync Mode',
      /continuous cannot be combined with Strategy bulk/,
    ],
    [
      'recListDuplicate',
      'nc05-jane-doe',
      'Reference Name',
      /slug "nc05-jane-doe" already used by row recListJane/,
    ],
  ])('a broken listing row %s (%s) is an error on %s and left out', (rowId, slug, field, message) => {
    expect(errorsFor(rowId)).toEqual([
      { table: 'Listing', rowId, field, message: expect.stringMatching(message), slug },
    ]);
  });

  it('broken rows never hide the good ones', () => {
    expect(parsed.ok).toHaveLength(4);
    expect(parsed.errors).toHaveLength(9);
  });
});

describe('result table', () => {
  const parsed = parseResultRows(resultRecords, JANE_RESULT_TABLE);
  const index = buildConfigIndex(parsed.ok);
  const row = (result: string) => findResultRow(index, result);

  it('keys rows by Full On Screen Result, lowercased and trimmed', () => {
    expect(row('STRONG SUPPORT  ')).toMatchObject({
      rowId: 'recStrong',
      fullOnScreenResult: 'strong support',
      success: true,
      tags: [501],
      questionResponses: [{ column: 'QR 1', questionId: 11, responseId: 111 }],
      syncToSystem: true,
      includeInCsv: true,
      displayName: 'Strong support',
      used: true,
      rowError: undefined,
    });
  });

  it('reads an absent Success as false and a result code typed as text as an integer', () => {
    expect(row('not home')).toMatchObject({ success: false, canvassResultCode: 4, includeInCsv: false });
  });

  it('uses the result as typed when Display Name is empty', () => {
    expect(row('wrong number')?.displayName).toBe('Wrong Number');
  });

  it('orders QR pairs by column number and tolerates spaces and list cells', () => {
    expect(row('volunteer')).toMatchObject({
      questionResponses: [
        { column: 'QR 1', questionId: 11, responseId: 112 },
        { column: 'QR 2', questionId: 12, responseId: 121 },
      ],
      tags: [502],
    });
  });

  it.each([
    ['bad code', 'recBadCode', 'Canvass Result Code', /whole number id, got "12a"/],
    ['bad qr', 'recBadQr', 'QR 1', /questionId,responseId/],
    ['bad tags', 'recBadTags', 'Tags', /comma list/],
    ['sync text', 'recSyncText', 'Sync to System', /checkbox/],
  ])('an unreadable row (%s) stays findable with its row error', (result, rowId, field, message) => {
    const found = row(result);
    expect(found?.rowId).toBe(rowId);
    expect(found?.rowError).toMatch(new RegExp(`^${field} `));
    expect(found?.rowError).toMatch(message);
    expect(parsed.errors).toContainEqual({
      table: JANE_RESULT_TABLE,
      rowId,
      field,
      message: expect.stringMatching(message),
    });
  });

  it('keeps a non-boolean Success as invalid for the decision, reported but not a row error', () => {
    expect(row('weird success')).toMatchObject({ success: { invalid: 'yes' }, rowError: undefined });
    expect(parsed.errors).toContainEqual(
      expect.objectContaining({ rowId: 'recWeirdSuccess', field: 'Success' }),
    );
  });

  it('flags both rows of a duplicated result so neither is used by accident', () => {
    expect(row('busy')?.rowId).toBe('recBusy1');
    expect(row('busy')?.rowError).toMatch(/configured twice \(rows recBusy1, recBusy2\)/);
    const copy = parsed.ok.find((candidate) => candidate.rowId === 'recBusy2');
    expect(copy?.rowError).toMatch(/duplicates row recBusy1/);
  });

  it('reports a row without Full On Screen Result, which no call can find', () => {
    expect(parsed.ok.some((found) => found.rowId === 'recNoKey')).toBe(false);
    expect(parsed.errors).toContainEqual({
      table: JANE_RESULT_TABLE,
      rowId: 'recNoKey',
      field: 'Full On Screen Result',
      message: 'is required',
    });
  });

  it('finds nothing for an unconfigured or missing result', () => {
    expect(row('dropped')).toBeUndefined();
    expect(findResultRow(index, undefined)).toBeUndefined();
  });
});

describe('term codes', () => {
  const parsed = parseTermCodes(termCodeRecords);
  const index = buildTermCodeIndex(parsed.ok);

  it('normalises agent results by dropping the parenthetical and lowercasing', () => {
    expect(normaliseLivevoxResult('Agent Cust 1 (167)')).toBe('agent cust 1');
    expect(normaliseLivevoxResult('  Dropped  (Abandoned) ')).toBe('dropped');
  });

  it('maps an agent result to its attributes whatever the agent code', () => {
    expect(applyTermCodes('Agent Cust 1 (167)', index)).toEqual({
      full_on_screen_result: 'Strong Support',
      dialed: true,
      contact: true,
      dropped: false,
    });
  });

  it('keys on LV System Result when LV Result is empty', () => {
    expect(applyTermCodes('DROPPED', index)).toMatchObject({
      full_on_screen_result: 'Dropped',
      dropped: true,
    });
  });

  it('turns other columns into snake_case attributes', () => {
    expect(applyTermCodes('Answering Machine', index)).toMatchObject({
      full_on_screen_result: 'Not Home',
      van_result: 'Left Message',
      dropped: false,
    });
  });

  it('leaves an unknown result as its normalised text', () => {
    expect(applyTermCodes('Spanish Speaker (12)', index)).toEqual({
      full_on_screen_result: 'spanish speaker',
    });
  });

  it('reports rows without a key, with a non-checkbox flag, or duplicating another', () => {
    expect(parsed.errors.map(({ rowId, field }) => [rowId, field])).toEqual([
      ['recTcNoKey', 'LV Result'],
      ['recTcBadFlag', 'Dropped'],
      ['recTcDuplicate', 'LV Result'],
    ]);
    expect(parsed.ok.map((code) => code.rowId)).toEqual(['recTcAgent', 'recTcDropped', 'recTcMachine']);
  });
});
