import { buildReport, type RunSummary } from '../src/report';
import { scheduledTimeFor, windowForRun } from '../src/time-window';

const window = windowForRun(scheduledTimeFor('2026-11-03', 20), 20);
const base: RunSummary = {
  candidate: 'nc05-jane-doe',
  strategy: 'full',
  system: 'van',
  window,
  totalCalls: 60,
  countsByStatus: { finished: 52, attempted_error: 1, unattempted_error: 2, ignored: 3, queued_for_csv: 2 },
  countsByDisplayName: { 'Not home': 40, 'Strong support': 12, Dropped: 3, 'Wrong Number': 2, Busy: 0 },
};

describe('reports', () => {
  it('the subject names the day the calls were made', () => {
    expect(buildReport(base).subject).toBe('Dialer Results for 11-03');
  });

  it('full: counts per display name and the sync line', () => {
    expect(buildReport(base).text).toBe(
      'Here are the dialer results for nc05-jane-doe, 60 calls between 11-02-2026 08:00 PM and 11-03-2026 08:00 PM (Eastern).\n\n' +
        'Not home: 40\nStrong support: 12\nDropped: 3\nWrong Number: 2\n\n' +
        'We successfully synced 52, and there were 3 errors.',
    );
  });

  it('bulk reads like full', () => {
    expect(buildReport({ ...base, strategy: 'bulk' }).text).toBe(buildReport(base).text);
  });

  it('bulk: a line with the VAN requests used and what posting call by call would have used', () => {
    expect(buildReport({ ...base, strategy: 'bulk', vanRequests: { used: 9, perCall: 1804 } }).text).toBe(
      'Here are the dialer results for nc05-jane-doe, 60 calls between 11-02-2026 08:00 PM and 11-03-2026 08:00 PM (Eastern).\n\n' +
        'Not home: 40\nStrong support: 12\nDropped: 3\nWrong Number: 2\n\n' +
        'We successfully synced 52, and there were 3 errors.\n\n' +
        'VAN Bulk Import took 9 VAN requests; posting call by call would have taken 1804.',
    );
  });

  it('a per-call run says nothing about requests', () => {
    expect(buildReport({ ...base, vanRequests: { used: 60, perCall: 60 } }).text).not.toContain(
      'VAN request',
    );
  });

  it('hybrid: the full report plus the link to the results not synced, to save money', () => {
    const text = buildReport({
      ...base,
      strategy: 'hybrid',
      csvUrl: 'https://s3.example/nc05.csv?sig=1',
    }).text;
    expect(text.startsWith(buildReport(base).text)).toBe(true);
    expect(text).toContain(
      'The results we did not sync to VAN, to save you money, are in this CSV (the link expires after 2 days):\n' +
        'https://s3.example/nc05.csv?sig=1',
    );
  });

  it('hybrid counts as synced only what VAN accepted, not the calls finished by the CSV', () => {
    const text = buildReport({
      ...base,
      strategy: 'hybrid',
      syncedToVan: 40,
      csvUrl: 'https://s3.example/x.csv',
    }).text;
    expect(text).toContain('We successfully synced 40, and there were 3 errors.');
  });

  it('hybrid without a CSV says there is no file', () => {
    expect(buildReport({ ...base, strategy: 'hybrid' }).text).toContain('so there is no CSV this time');
  });

  it('all csv: the link that expires after 2 days, then the counts', () => {
    const text = buildReport({
      ...base,
      strategy: 'all csv',
      countsByStatus: { finished: 57, ignored: 3 },
      csvUrl: 'https://s3.example/all.csv',
    }).text;
    expect(text).toBe(
      'Here are the dialer results for nc05-jane-doe, 60 calls between 11-02-2026 08:00 PM and 11-03-2026 08:00 PM (Eastern).\n\n' +
        'Your results are in this CSV file (the link expires after 2 days):\nhttps://s3.example/all.csv\n\n' +
        'Not home: 40\nStrong support: 12\nDropped: 3\nWrong Number: 2\n\n' +
        'We exported 57 calls.',
    );
  });

  it('System csv reports like all csv and mentions errors when there were some', () => {
    const text = buildReport({ ...base, system: 'csv', csvUrl: 'https://s3.example/all.csv' }).text;
    expect(text).toContain('Your results are in this CSV file');
    expect(text).toContain('There were 3 errors.');
  });

  it('a full run links its caller file after the counts', () => {
    const text = buildReport({ ...base, callerCsvUrl: 'https://s3.example/agents.csv' }).text;
    expect(
      text.endsWith(
        '\n\nThe callers of this run are in this file (the link expires after 2 days):\nhttps://s3.example/agents.csv',
      ),
    ).toBe(true);
  });

  it('zero calls: a short message saying the reporting system is up', () => {
    expect(buildReport({ ...base, totalCalls: 0, countsByStatus: {}, countsByDisplayName: {} })).toEqual({
      subject: 'Dialer Results for 11-03',
      text:
        'No calls were made for nc05-jane-doe between 11-02-2026 08:00 PM and 11-03-2026 08:00 PM (Eastern), so there was nothing to sync.\n' +
        'This message is to let you know the reporting system is up and running.',
    });
  });
});
