import { parseResultRows } from '../src/airtable-config';
import { validateConfigRow, validateResultTable } from '../src/config-validation';
import { buildConfigIndex, type ResultConfigRow } from '../src/result-config';
import { JANE_RESULT_TABLE, resultRecords } from './fixtures/airtable-base';
import { vanMetadata } from './fixtures/van-metadata';

const rows = parseResultRows(resultRecords, JANE_RESULT_TABLE).ok;
const index = buildConfigIndex(rows);
const row = (key: string): ResultConfigRow => {
  const found = index.get(key);
  if (!found) throw new Error(`fixture has no row ${key}`);
  return found;
};

describe('validating one row', () => {
  it('a good Success row passes every check and names what it found', () => {
    expect(validateConfigRow(row('strong support'), vanMetadata)).toEqual({
      rowId: 'recStrong',
      fullOnScreenResult: 'strong support',
      displayName: 'Strong support',
      ok: true,
      checks: [
        { ok: true, message: 'Success is a checkbox' },
        { ok: true, message: 'QR pairs or Tags are set' },
        { ok: true, message: 'Activist code 501 exists (Supporter)' },
        { ok: true, message: 'QR 1: survey question 11 (Support Jane?) has response 111 (Strong support)' },
      ],
      warnings: [],
    });
  });

  it('a non-contact row checks its result code', () => {
    expect(validateConfigRow(row('not home'), vanMetadata).checks).toContainEqual({
      ok: true,
      message: 'Result code 4 exists (Not Home)',
    });
  });

  it('warns that QR pairs and Tags are not sent when Success is false', () => {
    const notHomeWithTags: ResultConfigRow = { ...row('not home'), tags: [501] };
    expect(validateConfigRow(notHomeWithTags, vanMetadata).warnings).toEqual([
      'QR pairs and Tags are not sent when Success is false',
    ]);
  });

  it('warns that a result code is not sent when Success is true', () => {
    expect(validateConfigRow(row('volunteer'), vanMetadata).warnings).toEqual([
      'Canvass Result Code is not sent when Success is true',
    ]);
  });

  it('passes a row that sends its calls nowhere, saying they are ignored, whatever else it holds', () => {
    const validation = validateConfigRow(row('hang up'), vanMetadata);
    expect(validation.ok).toBe(true);
    expect(validation.checks).toEqual([]);
    expect(validation.warnings).toEqual([
      'Neither Sync to System nor Include in CSV is checked: these calls are ignored',
    ]);
  });

  it('fails a row that cannot be read, with its row error first', () => {
    const validation = validateConfigRow(row('bad qr'), vanMetadata);
    expect(validation.ok).toBe(false);
    expect(validation.checks[0]).toEqual({ ok: false, message: row('bad qr').rowError });
  });

  it('fails a non-boolean Success', () => {
    expect(validateConfigRow(row('weird success'), vanMetadata).checks).toContainEqual({
      ok: false,
      message: 'Success must be a checkbox (true/false), got "yes"',
    });
  });

  it('skips the VAN checks for a candidate without VAN', () => {
    expect(validateConfigRow(row('unknown ids'), undefined).ok).toBe(true);
  });
});

describe('validating a table', () => {
  it('headers a table with any failing row as having errors', () => {
    const validation = validateResultTable(rows, vanMetadata);
    expect(validation.ok).toBe(false);
    expect(validation.header).toBe('THIS SYNC HAS ERRORS');
    expect(validation.rows).toHaveLength(rows.length);
  });

  it('headers a clean table as good to go', () => {
    const validation = validateResultTable(
      [row('strong support'), row('not home'), row('tags only')],
      vanMetadata,
    );
    expect(validation.header).toBe('This sync is good to go!');
  });
});
