// How a run moves once its calls are claimed: every worker that records outcomes calls
// `advanceRun`, which recounts the run's calls from Mongo and takes the next step when one is
// due (start the hybrid CSV, complete). Steps are compare-and-set on the run's state, so when
// several workers see the same moment only one moves the run and publishes what follows.

import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import {
  awaitedExport,
  CsvExportMessage,
  nextRunStep,
  releasesQueuedCallsOnFailure,
  RunEvent,
  RunState,
  runStrategy,
  SyncStatus,
  type RunCounts,
  type RunStep,
} from '@call-sync/core';
import { Topics, type Logger, type Publisher } from '@call-sync/platform';
import { countRunCalls, releaseUndeliveredCsvCalls, releaseUnfinishedCalls } from './pipeline-calls';
import { pipelineMetricsFor } from './pipeline-metrics';
import { countsFrom, findRun, LIVE_RUN_STATES, transitionRun } from './pipeline-runs';
import { runsCollection, type RunDocument } from './collections';

export interface RunLifecycleDeps {
  db: Db;
  publisher: Publisher;
  logger: Logger;
  registry?: Registry;
  /** Minimum time between two `run.progress` events of one run. */
  progressEventIntervalMs?: number;
}

export async function publishRunEvent(
  publisher: Publisher,
  run: Pick<RunDocument, 'runId' | 'candidate' | 'state'>,
  type: RunEvent['type'],
  extra: { counts?: RunCounts; error?: string; csvUrl?: string } = {},
): Promise<void> {
  const event: RunEvent = {
    v: 1,
    runId: run.runId,
    candidate: run.candidate,
    type,
    at: new Date().toISOString(),
    state: run.state,
  };
  if (extra.counts) event.counts = extra.counts;
  if (extra.error !== undefined) event.error = extra.error;
  if (extra.csvUrl !== undefined) event.csvUrl = extra.csvUrl;
  await publisher.publish(Topics.RunEvents, RunEvent, [{ key: run.candidate, value: event }]);
}

function total(counts: RunCounts): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

function observeEnd(deps: RunLifecycleDeps, run: RunDocument): void {
  if (!deps.registry) return;
  const metrics = pipelineMetricsFor(deps.registry);
  metrics.runsFinished.inc({ candidate: run.candidate, state: run.state });
  const started = run.startedAt ?? run.openedAt;
  const seconds = ((run.finishedAt ?? new Date()).getTime() - started.getTime()) / 1000;
  metrics.runDuration.observe({ strategy: runStrategy(run), state: run.state }, Math.max(0, seconds));
}

/** Publishes run.completed or run.failed for a finished run, then clears its pending mark. */
async function publishFinalEvent(deps: RunLifecycleDeps, run: RunDocument): Promise<void> {
  if (run.state === RunState.Completed) {
    await publishRunEvent(deps.publisher, run, 'run.completed', {
      counts: run.counts,
      ...(run.csvUrl ? { csvUrl: run.csvUrl } : {}),
    });
  } else {
    await publishRunEvent(deps.publisher, run, 'run.failed', {
      counts: run.counts,
      ...(run.error ? { error: run.error } : {}),
    });
  }
  await runsCollection(deps.db).updateOne({ _id: run.runId }, { $unset: { finalEventPending: '' } });
}

/**
 * Sends the final event of a finished run that still owes it. The worker that ended the run could
 * not publish (the broker was down) or died first; its message is delivered again, and every
 * handler of a message about a finished run comes here, so the event follows with the consumer's
 * retry instead of waiting for the extractor's hourly sweep.
 */
export async function publishPendingFinalEvent(deps: RunLifecycleDeps, run: RunDocument): Promise<void> {
  if (!run.finalEventPending || (run.state !== RunState.Completed && run.state !== RunState.Failed)) return;
  await publishFinalEvent(deps, run);
}

/**
 * The outbox sweep: finished runs whose final event may never have reached the topic (the worker
 * died between the state change and the publish). Publishing twice is harmless — the report is
 * keyed by run — while never publishing leaves a campaign without its morning report.
 */
export async function republishPendingFinalEvents(
  deps: RunLifecycleDeps,
  options: { olderThanMs: number; now?: Date },
): Promise<string[]> {
  const cutoff = new Date((options.now ?? new Date()).getTime() - options.olderThanMs);
  const pending = await runsCollection(deps.db)
    .find({
      finalEventPending: true,
      state: { $in: [RunState.Completed, RunState.Failed] },
      finishedAt: { $lt: cutoff },
    })
    .toArray();
  for (const run of pending) await publishFinalEvent(deps, run);
  return pending.map((run) => run.runId);
}

/** Ends a run whose calls are all terminal: exact counts from the calls, then `run.completed`. */
export async function completeRun(
  deps: RunLifecycleDeps,
  runId: string,
  counts?: RunCounts,
): Promise<RunDocument | null> {
  const exact = counts ?? countsFrom(await countRunCalls(deps.db, runId));
  const completed = await transitionRun(
    deps.db,
    runId,
    [RunState.Writing, RunState.Exporting],
    RunState.Completed,
    {
      set: { counts: exact, callsClaimed: total(exact), finalEventPending: true },
      unset: ['waitingFor'],
    },
  );
  if (!completed) return null;
  await publishFinalEvent(deps, completed);
  deps.logger.info({ runId, candidate: completed.candidate, counts: exact }, 'run completed');
  observeEnd(deps, completed);
  return completed;
}

/** Fails a run that is not finished yet, with a reason a person can act on, and says so on the topic. */
export async function failRun(
  deps: RunLifecycleDeps,
  runId: string,
  error: string,
): Promise<RunDocument | null> {
  const ended = await transitionRun(deps.db, runId, [RunState.Open, ...LIVE_RUN_STATES], RunState.Failed, {
    set: { error, finalEventPending: true },
  });
  if (!ended) return null;
  const released = await releaseUnfinishedCalls(deps.db, runId);
  if (releasesQueuedCallsOnFailure(ended))
    released.returnedToUnsynced += await releaseUndeliveredCsvCalls(deps.db, runId);
  const counts = countsFrom(await countRunCalls(deps.db, runId));
  const failed = (await runsCollection(deps.db).findOneAndUpdate(
    { _id: runId },
    { $set: { counts, callsClaimed: total(counts) } },
    { returnDocument: 'after' },
  )) ?? { ...ended, counts };
  if (released.returnedToUnsynced + released.outcomeUnknown > 0) {
    deps.logger.warn({ runId, ...released }, 'unfinished calls of a failed run released');
  }
  await publishFinalEvent(deps, failed);
  deps.logger.warn({ runId, candidate: failed.candidate, error }, 'run failed');
  observeEnd(deps, failed);
  return failed;
}

async function maybePublishProgress(
  deps: RunLifecycleDeps,
  run: RunDocument,
  counts: RunCounts,
): Promise<void> {
  const interval = deps.progressEventIntervalMs ?? 5_000;
  const now = new Date();
  // The run as just read already says whether an event is due: most messages of a busy run end
  // within the interval of the last event, and need not ask MongoDB again.
  if (run.progressEventAt && now.getTime() - run.progressEventAt.getTime() < interval) return;
  // One worker per interval wins this compare-and-set and publishes; the rest stay quiet.
  const claimed = await runsCollection(deps.db).findOneAndUpdate(
    {
      _id: run._id,
      state: run.state,
      $or: [
        { progressEventAt: { $exists: false } },
        { progressEventAt: { $lt: new Date(now.getTime() - interval) } },
      ],
    },
    { $set: { progressEventAt: now } },
    { returnDocument: 'after' },
  );
  if (claimed) await publishRunEvent(deps.publisher, claimed, 'run.progress', { counts });
}

/** Calls in progress at or below which every advance recounts the run's calls exactly. */
const RECOUNT_AT_MOST = 100;

/**
 * Takes the next step of a run if one is due. Safe to call any number of times from any
 * worker; runs still open or extracting are left to the extractor, which calls this itself
 * once it has claimed everything.
 */
export async function advanceRun(
  deps: RunLifecycleDeps,
  runId: string,
  options: {
    exact?: boolean;
    /** Reads the run instead of a read of its own (a writer's reads of many runs, gathered). */
    readRun?: (runId: string) => Promise<RunDocument | null>;
  } = {},
): Promise<RunDocument | null> {
  const run = await (options.readRun ?? ((id: string) => findRun(deps.db, id)))(runId);
  if (!run) return run;
  if (run.state !== RunState.Writing && run.state !== RunState.Exporting) {
    await publishPendingFinalEvent(deps, run);
    return run;
  }
  // While the live counter says many calls are still in flight, recounting every call after
  // every message would cost more than the posts. A writer killed between recording an outcome
  // and moving the counters leaves in_progress high by at most one message's calls, so below
  // RECOUNT_AT_MOST the exact recount decides; the stall check (exact) is the backstop beyond.
  if (
    !options.exact &&
    run.state === RunState.Writing &&
    run.counts[SyncStatus.InProgress] > RECOUNT_AT_MOST
  ) {
    await maybePublishProgress(deps, run, run.counts);
    return run;
  }
  // The recount decides; it is never written over the live counters here: writers are moving
  // them with $inc at this moment, and a $set from an earlier read would lose their updates
  // (a run then waited for a call that had long finished). completeRun writes the exact
  // counts, once every call is terminal and nothing moves them any more.
  const counts = countsFrom(await countRunCalls(deps.db, runId));
  const step = nextRunStep(
    { state: run.state, strategy: run.strategy, dryRun: run.dryRun, hasCallerFile: !!run.callerCsvUrl },
    counts,
  );
  switch (step.kind) {
    case 'complete':
      return (await completeRun(deps, runId, counts)) ?? run;
    case 'export-callers':
    case 'export-results': {
      // The caller file of a run whose calls all settled, or a hybrid run's queued calls once its
      // VAN part has drained: only the worker that moves the run to exporting asks for it.
      const exporting = await transitionRun(deps.db, runId, RunState.Writing, RunState.Exporting, {
        set: { counts },
      });
      if (exporting) {
        await publishExport(deps.publisher, exporting, step);
        if (step.kind === 'export-results')
          await publishRunEvent(deps.publisher, exporting, 'run.progress', { counts });
      }
      return exporting ?? run;
    }
    case 'write':
    case 'wait':
      await maybePublishProgress(deps, run, counts);
      return run;
  }
}

/**
 * Moves a run whose calls are all claimed on to its writers (the extractor once it has claimed
 * everything, or a resume of an extraction that died): the CSV export of an `all csv` run that
 * claimed calls, else the van-writer. The van-writer may have drained every call already while
 * they were still being claimed: the advance that follows covers that, and a run with nothing to
 * deliver completes at once.
 */
export async function handOnClaimedRun(
  deps: RunLifecycleDeps,
  run: Pick<RunDocument, 'runId' | 'strategy' | 'dryRun'>,
  /** The run's claims when the caller made them all (the extractor); else read from the calls. */
  claimed?: RunCounts,
): Promise<RunDocument | null> {
  const counts = claimed ?? countsFrom(await countRunCalls(deps.db, run.runId));
  const step = nextRunStep(
    { state: RunState.Extracting, strategy: run.strategy, dryRun: run.dryRun, hasCallerFile: false },
    counts,
  );
  if (step.kind === 'export-results') {
    const exporting = await transitionRun(deps.db, run.runId, RunState.Extracting, RunState.Exporting);
    if (exporting) await publishExport(deps.publisher, exporting, step);
    return exporting;
  }
  await transitionRun(deps.db, run.runId, RunState.Extracting, RunState.Writing);
  return advanceRun(deps, run.runId, { exact: true });
}

/** Publishes the export a step asks for. */
async function publishExport(
  publisher: Publisher,
  run: Pick<RunDocument, 'runId' | 'candidate'>,
  step: RunStep & { kind: 'export-results' | 'export-callers' },
): Promise<void> {
  if (step.kind === 'export-results') return publishCsvExport(publisher, run, step.from);
  return publishCallerExport(publisher, run);
}

/** Asks the csv-writer for the run's caller file (runs whose strategy exports no results). */
async function publishCallerExport(
  publisher: Publisher,
  run: Pick<RunDocument, 'runId' | 'candidate'>,
): Promise<void> {
  const message: CsvExportMessage = { v: 1, runId: run.runId, candidate: run.candidate, kind: 'callers' };
  await publisher.publish(Topics.CsvExport, CsvExportMessage, [{ key: run.candidate, value: message }]);
}

/** The export a run in `exporting` waits for, published again by a resume. */
export function republishRunExport(
  publisher: Publisher,
  run: Pick<RunDocument, 'runId' | 'candidate' | 'strategy'>,
): Promise<void> {
  return publishExport(publisher, run, awaitedExport(run));
}

async function publishCsvExport(
  publisher: Publisher,
  run: Pick<RunDocument, 'runId' | 'candidate'>,
  fromStatus: typeof SyncStatus.InProgress | typeof SyncStatus.QueuedForCsv,
): Promise<void> {
  const message: CsvExportMessage = {
    v: 1,
    runId: run.runId,
    candidate: run.candidate,
    kind: 'results',
    fromStatus,
  };
  await publisher.publish(Topics.CsvExport, CsvExportMessage, [{ key: run.candidate, value: message }]);
}
