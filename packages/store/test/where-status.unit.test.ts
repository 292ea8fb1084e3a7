import { SyncStatus } from '@call-sync/core';
import { whereStatus } from '@call-sync/store';

// Every status write of the pipeline takes its compare-and-set condition from core's transition
// table: a move the table forbids throws before anything is written.

test('the moves the pipeline makes give the condition on the current status', () => {
  expect(whereStatus(undefined, SyncStatus.InProgress)).toEqual({ sync_status: { $exists: false } });
  expect(whereStatus(SyncStatus.InProgress, SyncStatus.Finished)).toEqual({ sync_status: 'in_progress' });
  expect(whereStatus(SyncStatus.QueuedForCsv, SyncStatus.Finished)).toEqual({
    sync_status: 'queued_for_csv',
  });
  expect(whereStatus(SyncStatus.InProgress, undefined)).toEqual({ sync_status: 'in_progress' });
});

test.each([
  [
    SyncStatus.AttemptedError,
    SyncStatus.InProgress,
    'a call cannot move from attempted_error to in_progress',
  ],
  [SyncStatus.Finished, SyncStatus.Finished, 'a call cannot move from finished to finished'],
  [undefined, SyncStatus.Finished, 'a call cannot move from unsynced to finished'],
  [undefined, undefined, 'a call cannot move from unsynced to unsynced'],
] as const)('%s → %s is refused', (from, to, message) => {
  expect(() => whereStatus(from, to)).toThrow(message);
});
