// A sync run: one candidate, one window, from opening to a final state. Runs live in Mongo
// (the `runs` collection) so any service can show or resume them.

import type { Strategy } from './candidate';
import type { ContinuousDay } from './continuous-day';
import type { EasternDay } from './eastern-time';
import { SYNC_STATUSES, isTerminal, type SyncStatus } from './sync-status';
import type { TimeWindow } from './time-window';

export const RunState = {
  Open: 'open',
  Extracting: 'extracting',
  Writing: 'writing',
  Exporting: 'exporting',
  Completed: 'completed',
  Failed: 'failed',
} as const;
export type RunState = (typeof RunState)[keyof typeof RunState];

/**
 * `schedule`: the nightly run; `request`: an operator's "run now"; `resume`: a run opened to
 * finish the claimed-but-unfinished calls of a run whose workers died (`resumesRunId`).
 */
export const RUN_TRIGGERS = ['schedule', 'request', 'resume'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export type RunCounts = Record<SyncStatus, number>;

export interface Run {
  runId: string;
  candidate: string;
  trigger: RunTrigger;
  state: RunState;
  window: TimeWindow;
  scheduledAt: Date;
  /** The Eastern day of a scheduled run: at most one scheduled run per candidate and day. */
  scheduledDay?: EasternDay;
  /** `<candidate>:<YYYY-MM-DD>` on scheduled runs only; unique, so a day is never run twice. */
  scheduleKey?: string;
  /** The candidate's strategy when extraction began: it decides which statuses are terminal. */
  strategy?: Strategy;
  /** VAN requests this run spent (posts and metadata reads), against the key's daily budget. */
  vanRequestsUsed?: number;
  /** Presigned link (valid 2 days) to the run's results CSV, when one was made. */
  csvUrl?: string;
  /** Presigned link to the run's caller file, when one was made. */
  callerCsvUrl?: string;
  /** Why a live run is not moving, when it waits on purpose (e.g. the day's VAN budget is spent). */
  waitingFor?: string;
  /** Set when a stalled run's work was re-published once; a second stall fails the run. */
  resumedAt?: Date;
  /** A dry run's answer: what would be claimed, posted and spent. */
  dryRunPlan?: DryRunPlan;
  /** Decides every call and reports what would be posted and its cost; posts nothing. */
  dryRun: boolean;
  resumesRunId?: string;
  /** Set on the day's run of a continuous candidate (continuous-day.ts); absent on nightly runs. */
  continuous?: ContinuousDay;
  callsClaimed: number;
  counts: RunCounts;
  openedAt: Date;
  /** When the extractor took the run (a request may wait in `open` before that). */
  startedAt?: Date;
  updatedAt: Date;
  finishedAt?: Date;
  error?: string;
}

export interface RunProgress {
  /** Calls the extractor has decided so far (claimed or not). */
  callsDecided: number;
  /** Calls claimed for VAN, and how many of them have an outcome. */
  vanCalls: number;
  vanDone: number;
  /** Last time any worker advanced this run; the stall check reads it. */
  lastActivityAt: Date;
}

interface DryRunPlan {
  counts: RunCounts;
  /** Calls that would be posted to VAN: one request each, against the daily budget. */
  vanPosts: number;
  /**
   * Calls that would travel as rows of the run's VAN Bulk Import job(s) (strategy `bulk`): a few
   * requests per job, not one per call. Absent on plans made before bulk rows were counted.
   */
  bulkRows?: number;
  /** Calls that would go to a CSV. */
  csvRows: number;
}

/** The unique key of a candidate's scheduled run on an Eastern day. */
export function scheduleKeyFor(candidate: string, day: EasternDay): string {
  return `${candidate}:${day}`;
}

/**
 * Extraction can end the run at once (nothing to post or export), skip the VAN part (all csv)
 * or skip the export (full); every live state can fail. Completed and failed are final: a
 * failed run is resumed by a new run with trigger `resume`, so history stays truthful.
 */
const RUN_TRANSITIONS: Readonly<Record<RunState, readonly RunState[]>> = {
  open: ['extracting', 'failed'],
  extracting: ['writing', 'exporting', 'completed', 'failed'],
  writing: ['exporting', 'completed', 'failed'],
  exporting: ['completed', 'failed'],
  completed: [],
  failed: [],
};

export function canTransitionRun(from: RunState, to: RunState): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}

export function isRunFinished(state: RunState): boolean {
  return state === RunState.Completed || state === RunState.Failed;
}

export function emptyRunCounts(): RunCounts {
  return Object.fromEntries(SYNC_STATUSES.map((status) => [status, 0])) as RunCounts;
}

/** Claimed calls that no worker of this run will touch again. */
export function settledCalls(counts: RunCounts, strategy: Strategy): number {
  return SYNC_STATUSES.filter((status) => isTerminal(status, strategy)).reduce(
    (sum, status) => sum + counts[status],
    0,
  );
}
