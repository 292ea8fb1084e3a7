import {
  findResultRow,
  formatEasternDate,
  formatEasternTime,
  reportSubject,
  SYNC_STATUSES,
  type RunSummary,
  type Strategy,
  type SyncStatus,
} from '@call-sync/core';
import type { CandidateConfiguration } from '@call-sync/integrations';
import type { OperatorCalls, RunDocument } from '@call-sync/store';

/**
 * What the report says about a run, read from the calls that carry its run_id (the truth, even
 * when a worker's count on the run document lags); the run's own counts stand in when its calls
 * are gone (archived).
 */
export async function summariseRun(
  run: RunDocument,
  configuration: CandidateConfiguration | undefined,
  calls: OperatorCalls,
  csvUrl: string | undefined,
): Promise<RunSummary> {
  const byStatus = await calls.countByStatusForRun(run.runId);
  const fromCalls = Object.values(byStatus).some((count) => count > 0);
  const countsByStatus: Partial<Record<SyncStatus, number>> = {};
  for (const status of SYNC_STATUSES) {
    const count = fromCalls ? (byStatus[status] ?? 0) : (run.counts?.[status] ?? 0);
    if (count > 0) countsByStatus[status] = count;
  }
  const totalCalls = Object.values(countsByStatus).reduce((sum, count) => sum + count, 0);

  const countsByDisplayName: Record<string, number> = {};
  for (const group of await calls.countByResultForRun(run.runId)) {
    const row = configuration ? findResultRow(configuration.index, group.fullOnScreenResult) : undefined;
    const label = group.displayName ?? row?.displayName ?? group.fullOnScreenResult ?? '(no result)';
    countsByDisplayName[label] = (countsByDisplayName[label] ?? 0) + group.count;
  }

  const strategy: Strategy = run.strategy ?? configuration?.candidate.strategy ?? 'full';
  const syncedToVan = fromCalls ? await calls.countSyncedToVanForRun(run.runId) : undefined;
  return {
    candidate: configuration?.candidate.referenceName ?? run.candidate,
    strategy,
    system: configuration?.candidate.system ?? 'van',
    window: run.window,
    totalCalls,
    countsByStatus,
    countsByDisplayName,
    ...(syncedToVan !== undefined ? { syncedToVan } : {}),
    ...(csvUrl ? { csvUrl } : {}),
    ...(run.callerCsvUrl ? { callerCsvUrl: run.callerCsvUrl } : {}),
    ...(run.bulkImport?.calls !== undefined
      ? { vanRequests: { used: run.vanRequestsUsed ?? 0, perCall: run.bulkImport.calls } }
      : {}),
  };
}

/** A run that failed still owes the campaign a word: what happened and what comes next. */
export function buildFailureReport(
  summary: RunSummary,
  error: string | undefined,
): { subject: string; text: string } {
  const when = (instant: Date) => `${formatEasternDate(instant)} ${formatEasternTime(instant)}`;
  const finished = summary.countsByStatus.finished ?? 0;
  return {
    subject: `${reportSubject(summary.window)}: the sync did not finish`,
    text:
      `The sync for ${summary.candidate} of the calls between ${when(summary.window.start)} and ` +
      `${when(summary.window.end)} (Eastern) stopped before the end${error ? `: ${error}` : ''}.\n` +
      `${finished} calls were synced before it stopped. The calls it did not reach stay unsynced, ` +
      'and the next run takes them; nothing is lost.',
  };
}
