import {
  SYNC_STATUSES,
  SyncStatus,
  allowedSources,
  canTransition,
  isErrorStatus,
  isSyncStatus,
  isTerminal,
  type CallSyncState,
} from '../src/sync-status';

const label = (state: CallSyncState): string => state ?? 'unsynced';
const ALL_STATES: CallSyncState[] = [undefined, ...SYNC_STATUSES];

const ALLOWED: Record<string, CallSyncState[]> = {
  unsynced: ['in_progress', 'ignored', 'unattempted_error', 'queued_for_csv'],
  in_progress: ['finished', 'attempted_error', 'unattempted_error', 'queued_for_csv', 'ignored', undefined],
  queued_for_csv: ['finished', undefined],
  finished: [undefined],
  ignored: [undefined],
  attempted_error: [undefined],
  unattempted_error: [undefined],
};

describe('sync status values', () => {
  it('stores exactly the six SPEC values, unsynced being an absent field', () => {
    expect([...SYNC_STATUSES].sort()).toEqual(
      ['attempted_error', 'finished', 'ignored', 'in_progress', 'queued_for_csv', 'unattempted_error'].sort(),
    );
    expect(SyncStatus.QueuedForCsv).toBe('queued_for_csv');
    expect(isSyncStatus('finished')).toBe(true);
    expect(isSyncStatus('posting')).toBe(false);
    expect(isSyncStatus(undefined)).toBe(false);
  });
});

describe('sync status transitions', () => {
  for (const from of ALL_STATES) {
    for (const to of ALL_STATES) {
      const allowed = ALLOWED[label(from)]?.includes(to) ?? false;
      it(`${allowed ? 'allows' : 'refuses'} ${label(from)} → ${label(to)}`, () => {
        expect(canTransition(from, to)).toBe(allowed);
      });
    }
  }

  it('a reset returns any touched call to unsynced', () => {
    for (const status of SYNC_STATUSES) expect(canTransition(status, undefined)).toBe(true);
  });

  it('an attempted error is never claimed again without a reset, so VAN is not posted twice', () => {
    expect(canTransition('attempted_error', 'in_progress')).toBe(false);
    expect(canTransition('finished', 'in_progress')).toBe(false);
  });

  it('gives the compare-and-set filter for each target status', () => {
    expect(allowedSources('in_progress')).toEqual([undefined]);
    expect(allowedSources('finished')).toEqual(['in_progress', 'queued_for_csv']);
    expect(allowedSources('queued_for_csv')).toEqual([undefined, 'in_progress']);
    expect(allowedSources('attempted_error')).toEqual(['in_progress']);
  });
});

describe('terminal statuses', () => {
  it('finished, ignored and both errors are terminal whatever the strategy', () => {
    for (const status of ['finished', 'ignored', 'attempted_error', 'unattempted_error'] as const) {
      expect(isTerminal(status)).toBe(true);
      expect(isTerminal(status, 'hybrid')).toBe(true);
    }
  });

  it('unsynced and in_progress are never terminal', () => {
    expect(isTerminal(undefined, 'full')).toBe(false);
    expect(isTerminal('in_progress', 'full')).toBe(false);
  });

  it('queued_for_csv is terminal under full and bulk, but waits for the export under hybrid', () => {
    expect(isTerminal('queued_for_csv', 'full')).toBe(true);
    expect(isTerminal('queued_for_csv', 'bulk')).toBe(true);
    expect(isTerminal('queued_for_csv', 'hybrid')).toBe(false);
    expect(isTerminal('queued_for_csv')).toBe(false);
  });

  it('only the two error statuses count as errors', () => {
    expect(SYNC_STATUSES.filter(isErrorStatus)).toEqual(['attempted_error', 'unattempted_error']);
  });
});
