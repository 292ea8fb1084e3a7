// Every run ends (docs/behaviour.md#a-run). A live run that has not moved for
// RUN_STALL_AFTER_MS lost its workers or its messages: its work is re-published from Mongo
// (calls still in progress go back on the topic; a call caught mid-post is then flagged
// "outcome unknown" by the writer instead of being posted again), and if it has not moved since
// that resume when the stall time has passed again, it is failed with the reason and an alert. A
// run that moved after its resume was helped by it: a later stall (another restart that night) is
// resumed again rather than failed. A run waiting for the VAN budget is not stalled: it is
// re-published once a new Eastern day has brought the budget back.

import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import { easternDayOf, RunState, sendsBulkJobs, VanSyncMessage } from '@call-sync/core';
import { Topics, type Logger, type Publisher } from '@call-sync/platform';
import {
  advanceRun,
  failRun,
  handOnClaimedRun,
  liveRuns,
  pipelineMetricsFor,
  publishBulkImport,
  readRunBulkImport,
  republishRunExport,
  unfinishedVanCalls,
  updateLiveRun,
  type RunDocument,
} from '@call-sync/store';

export interface ResumeDeps {
  db: Db;
  publisher: Publisher;
  logger: Logger;
  registry?: Registry;
  vanSyncBatchSize: number;
  /**
   * Claims (and publishes) the rest of the window of a run whose extractor died mid-claim; throws
   * when it cannot (candidate gone, VAN metadata unreadable). Without it such a run is failed, so
   * the next run's catch-up takes the window again: a completed run would tell it the window is done.
   */
  continueExtraction?: (run: RunDocument) => Promise<void>;
}

/** "no progress for 30 minutes"; seconds when the setting is under a minute (tests, drills). */
export function noProgressFor(stallAfterMs: number): string {
  return stallAfterMs < 60_000
    ? `no progress for ${Math.round(stallAfterMs / 1000)} seconds`
    : `no progress for ${Math.round(stallAfterMs / 60_000)} minutes`;
}

/**
 * What a check did to a run; `continuous`: a continuous day still taking calls, which its own cycle
 * watches (continuous-cycle.ts).
 */
export type RunCheck = 'healthy' | 'resumed' | 'failed' | 'budget-resumed' | 'waiting' | 'continuous';

/** Puts a run's claimed, unposted VAN calls back on the topic; the writer's posting mark keeps it at most once. */
export async function republishUnfinishedVanCalls(
  deps: Pick<ResumeDeps, 'db' | 'publisher' | 'vanSyncBatchSize'>,
  run: Pick<RunDocument, 'runId' | 'candidate'>,
): Promise<number> {
  let published = 0;
  let batch: string[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const value: VanSyncMessage = { v: 1, runId: run.runId, candidate: run.candidate, callIds: batch };
    await deps.publisher.publish(Topics.VanSync, VanSyncMessage, [{ key: run.candidate, value }]);
    published += batch.length;
    batch = [];
  };
  const cursor = unfinishedVanCalls(deps.db, run.runId);
  try {
    for await (const call of cursor) {
      batch.push(call.id);
      if (batch.length >= deps.vanSyncBatchSize) await flush();
    }
    await flush();
  } finally {
    await cursor.close();
  }
  return published;
}

/** Re-publishes a run's unfinished work from Mongo; returns how many VAN calls went back on the topic. */
async function republishRunWork(deps: ResumeDeps, run: RunDocument): Promise<number> {
  // A `bulk` run's calls may sit in a Bulk Import job still pending at VAN: never post them one by
  // one; the van-writer resumes the run's jobs from the run document.
  const bulkRun = sendsBulkJobs(run) && !(await readRunBulkImport(deps.db, run.runId))?.fallback;
  if (bulkRun && run.state === RunState.Writing) await publishBulkImport(deps.publisher, run);
  const published = bulkRun ? 0 : await republishUnfinishedVanCalls(deps, run);
  // A continuous day still taking calls: its cycle claims the rest and closes it at its time.
  if (run.continuous && run.state === RunState.Extracting) return published;
  if (run.state === RunState.Extracting) {
    // The extractor died while claiming: what it claimed went back on the topic above; now the
    // rest of the window is claimed, or the run fails so that the next run takes it again.
    try {
      if (!deps.continueExtraction) throw new Error('this command cannot read the configuration');
      await deps.continueExtraction(run);
    } catch (error) {
      await failRun(
        deps,
        run.runId,
        `the extractor stopped while claiming and the rest of the window could not be claimed: ${(error as Error).message}`,
      );
      return published;
    }
    await handOnClaimedRun(deps, run);
    return published;
  }
  if (run.state === RunState.Exporting) await republishRunExport(deps.publisher, run);
  await advanceRun(deps, run.runId, { exact: true });
  return published;
}

async function checkRun(
  deps: ResumeDeps,
  run: RunDocument,
  options: { now: Date; stallAfterMs: number },
): Promise<RunCheck> {
  const { now } = options;
  const metrics = deps.registry ? pipelineMetricsFor(deps.registry) : undefined;
  // Claiming all day is not a stall, and resuming it as an interrupted extraction would close the
  // day early: until it closes (and moves on to writing) the day's cycle resumes its work.
  if (run.continuous && run.state === RunState.Extracting) return 'continuous';
  if (run.waitingFor !== undefined) {
    const since = (run as RunDocument & { waitingSince?: Date }).waitingSince ?? run.updatedAt;
    if (easternDayOf(since) === easternDayOf(now)) return 'waiting';
    await updateLiveRun(deps.db, run.runId, { 'progress.lastActivityAt': now }, [
      'waitingFor',
      'waitingSince',
    ]);
    const published = await republishRunWork(deps, run);
    deps.logger.info(
      { runId: run.runId, candidate: run.candidate, published },
      'run resumed with a new day of VAN budget',
    );
    return 'budget-resumed';
  }
  const lastActivity = new Date(run.progress?.lastActivityAt ?? run.startedAt ?? run.updatedAt);
  if (now.getTime() - lastActivity.getTime() < options.stallAfterMs) return 'healthy';
  // A resume records itself as the run's last activity: anything later is the run moving again.
  if (!run.resumedAt || lastActivity.getTime() > new Date(run.resumedAt).getTime()) {
    await updateLiveRun(deps.db, run.runId, { resumedAt: now, 'progress.lastActivityAt': now });
    const published = await republishRunWork(deps, run);
    metrics?.runAlerts.inc({ reason: 'run_stalled_resumed' });
    deps.logger.warn({ runId: run.runId, candidate: run.candidate, published }, 'stalled run resumed');
    return 'resumed';
  }
  await failRun(deps, run.runId, `${noProgressFor(options.stallAfterMs)}, even after a resume`);
  metrics?.runAlerts.inc({ reason: 'run_stalled_failed' });
  return 'failed';
}

/** Checks every live run; what the hourly extractor does after opening and extracting runs. */
export async function checkLiveRuns(
  deps: ResumeDeps,
  options: { now: Date; stallAfterMs: number },
): Promise<Record<string, RunCheck>> {
  const results: Record<string, RunCheck> = {};
  for (const run of await liveRuns(deps.db)) results[run.runId] = await checkRun(deps, run, options);
  return results;
}

/** `extractor resume --run <id>`: re-publishes the unfinished work of one run now. */
export async function resumeRun(deps: ResumeDeps, run: RunDocument): Promise<number> {
  const now = new Date();
  await updateLiveRun(deps.db, run.runId, { resumedAt: now, 'progress.lastActivityAt': now });
  return republishRunWork(deps, run);
}
