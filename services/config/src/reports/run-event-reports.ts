import { buildReport, type RunEvent } from '@call-sync/core';
import type { Logger } from '@call-sync/platform';
import type { OperatorCalls, OperatorRuns } from '@call-sync/store';
import type { ConfigCache } from '../config-cache';
import type { ReportsRepository } from '../data-access/reports-repository';
import type { ReportSender } from './report-delivery';
import { buildFailureReport, summariseRun } from './run-summary';

export interface RunEventsDeps {
  cache: ConfigCache;
  runs: OperatorRuns;
  calls: OperatorCalls;
  reports: ReportsRepository;
  delivery: ReportSender;
  logger: Logger;
}

/**
 * A run that ended gets one report: built from Mongo (the run and its calls), stored in `reports`
 * under the runId — so a redelivered event finds it instead of making a second — and then sent.
 * The report is stored before the offset is committed; sending failures never fail the message,
 * the retry loop owns them.
 */
export async function handleRunEvent(event: RunEvent, deps: RunEventsDeps): Promise<void> {
  if (event.type !== 'run.completed' && event.type !== 'run.failed') return;
  const run = await deps.runs.get(event.runId);
  if (!run) {
    // Mongo is written before the event is published, so this run is not ours (another
    // environment sharing the topic); there is nothing to report on.
    deps.logger.warn({ runId: event.runId, type: event.type }, 'run event for an unknown run; skipped');
    return;
  }
  if (run.dryRun) return;

  const configuration = await deps.cache.candidate(run.candidate);
  const summary = await summariseRun(run, configuration, deps.calls, event.csvUrl ?? run.csvUrl);
  const { subject, text } =
    event.type === 'run.completed'
      ? buildReport(summary)
      : buildFailureReport(summary, event.error ?? run.error);
  const now = new Date();
  const to = configuration?.candidate.sendReportTo;
  const { created } = await deps.reports.insertOnce({
    _id: run.runId,
    runId: run.runId,
    candidate: run.candidate,
    kind: event.type === 'run.completed' ? 'completed' : 'failed',
    ...(to ? { to } : {}),
    subject,
    text,
    createdAt: now,
    delivery: { status: 'pending', attempts: 0, nextAttemptAt: now },
  });
  if (!created) deps.logger.info({ runId: run.runId }, 'report already stored for this run');
  await deps.delivery.deliver(run.runId);
}
