// What happens next to a run, decided in one place from its state and its calls' counts
// (docs/behaviour.md#a-run). The store carries the step out with compare-and-set on the run's state;
// no service or data-access module branches on the strategy to move a run.

import type { Strategy } from './candidate';
import { RunState, settledCalls, type RunCounts } from './run';
import { SyncStatus } from './sync-status';

/** A run stored before runs carried their strategy followed `full`. */
export const runStrategy = (run: { strategy?: Strategy | undefined }): Strategy => run.strategy ?? 'full';

export type RunStep =
  /** Nothing is due: workers are still moving calls, or the run waits for an export. */
  | { kind: 'wait' }
  /** Claims are done and the van-writer takes over (writing). */
  | { kind: 'write' }
  /** The results CSV: of the claimed calls (`all csv`), or of the queued ones once VAN is done (`hybrid`). */
  | { kind: 'export-results'; from: typeof SyncStatus.InProgress | typeof SyncStatus.QueuedForCsv }
  /** Every call settled; the run owes only its caller file. */
  | { kind: 'export-callers' }
  | { kind: 'complete' };

export interface RunStepFacts {
  state: RunState;
  strategy?: Strategy | undefined;
  dryRun: boolean;
  /** The caller file is written already (the results export writes it beside the results). */
  hasCallerFile: boolean;
}

const total = (counts: RunCounts): number => Object.values(counts).reduce((sum, n) => sum + n, 0);

/**
 * The next step of a run, from its state and the exact counts of its calls. `extracting` is asked
 * once the extractor has claimed every call; `writing` and `exporting` whenever a worker records
 * outcomes; a finished or open run has no step here.
 */
export function nextRunStep(run: RunStepFacts, counts: RunCounts): RunStep {
  const strategy = runStrategy(run);
  switch (run.state) {
    case RunState.Extracting:
      return strategy === 'all csv' && counts[SyncStatus.InProgress] > 0
        ? { kind: 'export-results', from: SyncStatus.InProgress }
        : { kind: 'write' };
    case RunState.Writing:
    case RunState.Exporting: {
      if (settledCalls(counts, strategy) === total(counts)) {
        const owesCallerFile = total(counts) > 0 && !run.hasCallerFile && !run.dryRun;
        if (!owesCallerFile) return { kind: 'complete' };
        // In exporting, the export under way writes the caller file.
        return run.state === RunState.Writing ? { kind: 'export-callers' } : { kind: 'wait' };
      }
      const vanDrained = counts[SyncStatus.InProgress] === 0 && counts[SyncStatus.QueuedForCsv] > 0;
      if (run.state === RunState.Writing && strategy === 'hybrid' && vanDrained)
        return { kind: 'export-results', from: SyncStatus.QueuedForCsv };
      return { kind: 'wait' };
    }
    default:
      return { kind: 'wait' };
  }
}

/** The export a run in `exporting` waits for, as a resume publishes it again. */
export function awaitedExport(run: { strategy?: Strategy | undefined }): RunStep & {
  kind: 'export-results' | 'export-callers';
} {
  const strategy = runStrategy(run);
  if (strategy === 'all csv') return { kind: 'export-results', from: SyncStatus.InProgress };
  if (strategy === 'hybrid') return { kind: 'export-results', from: SyncStatus.QueuedForCsv };
  return { kind: 'export-callers' };
}

/** Whether the run's VAN calls go as Bulk Import jobs (the van-writer's job runner), not one by one. */
export const sendsBulkJobs = (run: { strategy?: Strategy | undefined }): boolean =>
  runStrategy(run) === 'bulk';

/**
 * Whether a failed run's `queued_for_csv` calls go back to unsynced: under `hybrid` and `all csv`
 * the export is what delivers them; under `full` and `bulk` that status is where they rest.
 */
export const releasesQueuedCallsOnFailure = (run: { strategy?: Strategy | undefined }): boolean => {
  const strategy = runStrategy(run);
  return strategy === 'hybrid' || strategy === 'all csv';
};
