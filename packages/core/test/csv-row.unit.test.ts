import {
  CALLER_CSV_COLUMNS,
  RESULT_CSV_COLUMNS,
  callerCsvFileName,
  callerCsvRow,
  neutraliseCell,
  resultCsvFileName,
  resultCsvRow,
  voterIdType,
} from '../src/csv-row';

const call = {
  voter_id: '18372073',
  system_id: 'van',
  first_name: 'Ada',
  last_name: 'Byron',
  phone_dialed: '9195550142',
  timestamp: new Date('2026-11-04T01:05:00Z'),
  caller_login: 'caller7',
};

describe('results CSV', () => {
  it('has the nine columns in SPEC order', () => {
    expect(RESULT_CSV_COLUMNS).toEqual([
      'Voter ID',
      'Voter ID Type',
      'Voter First Name',
      'Voter Last Name',
      'Voter Phone',
      'Date Called',
      'Time Called (EST)',
      'Result',
      'Caller Login',
    ]);
  });

  it('writes a row with the Eastern date and time and the display name as result', () => {
    expect(resultCsvRow(call, 'Strong support')).toEqual([
      '18372073',
      'VANID',
      'Ada',
      'Byron',
      '9195550142',
      '11-03-2026',
      '08:05 PM EST',
      'Strong support',
      'caller7',
    ]);
  });

  it('keeps the "EST" label in summer while the clock reads EDT', () => {
    const row = resultCsvRow({ ...call, timestamp: new Date('2026-07-04T13:30:00Z') }, 'Not home');
    expect(row.slice(5, 7)).toEqual(['07-04-2026', '09:30 AM EST']);
  });

  it('calls MyCampaign ids VANIDs too', () => {
    expect(voterIdType('myc')).toBe('VANID');
    expect(voterIdType('van')).toBe('VANID');
    expect(voterIdType('pdi')).toBe('PDI');
  });

  it.each([
    ['=HYPERLINK("http://x")', `'=HYPERLINK("http://x")`],
    ['+1 919', `'+1 919`],
    ['-2+3', `'-2+3`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['\t=1', `'\t=1`],
    ['\r=1', `'\r=1`],
    ['Ada', 'Ada'],
    ['a=b', 'a=b'],
    ['', ''],
  ])('neutralises a cell that a spreadsheet would run: %j', (input, expected) => {
    expect(neutraliseCell(input)).toBe(expected);
  });

  it('neutralises formulas in every cell of a row', () => {
    const row = resultCsvRow({ ...call, first_name: '=cmd|calc', caller_login: '@evil' }, '+Support');
    expect(row[2]).toBe(`'=cmd|calc`);
    expect(row[7]).toBe(`'+Support`);
    expect(row[8]).toBe(`'@evil`);
  });

  it('names the file after the candidate and the Eastern day called', () => {
    expect(resultCsvFileName('nc05-jane-doe', call.timestamp, 'a1B2c3')).toBe(
      'nc05-jane-doe-11-03-2026-a1B2c3.csv',
    );
    expect(() => resultCsvFileName('nc05-jane-doe', call.timestamp, '../x')).toThrow(RangeError);
  });
});

describe('caller file', () => {
  it('has Login, Email, Phone, From and leaves unknown cells empty', () => {
    expect(CALLER_CSV_COLUMNS).toEqual(['Login', 'Email', 'Phone', 'From']);
    expect(callerCsvRow({ login: 'caller7', email: 'c7@example.org' })).toEqual([
      'caller7',
      'c7@example.org',
      '',
      '',
    ]);
    expect(callerCsvRow({ login: '=x', phone: '+19195550100', from: 'Durham' })).toEqual([
      "'=x",
      '',
      "'+19195550100",
      'Durham',
    ]);
  });

  it('is named <slug>-agents-<day>-<random>.csv', () => {
    expect(callerCsvFileName('nc05-jane-doe', call.timestamp, 'z9')).toBe(
      'nc05-jane-doe-agents-11-03-2026-z9.csv',
    );
  });
});
