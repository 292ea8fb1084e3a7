import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import type Koa from 'koa';
import type { Db } from 'mongodb';
import {
  deliversOnlyCsv,
  emptyRunCounts,
  isRunFinished,
  RunState,
  settledCalls,
  SYNC_STATUSES,
  windowForDay,
  windowForRun,
  type RunCounts,
  type Strategy,
} from '@call-sync/core';
import { VanBudgetExhaustedError, VanError } from '@call-sync/integrations';
import type { OperatorCalls, OperatorRuns, ReportDocument, RunDocument } from '@call-sync/store';
import type { ConfigCache } from '../config-cache';
import type { ReportsRepository } from '../data-access/reports-repository';
import { computeDryRun } from '../dry-run';
import { nightsAtAGlance } from '../nights';
import { renderRunPage, renderRunsPage } from '../pages/runs-page';
import { continuousDayView } from '../pages/continuous-day-view';
import type { VanMetadataCache } from '../van-metadata-cache';
import { HttpError, VAN_BUDGET_SPENT, vanBudgetSpent } from './http-error';
import { respond } from './negotiation';
import { candidateParam } from './params';
import { assertCandidateAllowed, mayAccessCandidate, principalOf } from './access';
import { operations } from './api/operations';
import { isSet } from './api/fields';
import { serve } from './serve-operation';
import type { AuditRepository } from '../data-access/audit-repository';
import { describeWindow, recordAudit, windowText } from './audit-entries';

function reportView(report: ReportDocument | undefined) {
  if (!report) return null;
  return {
    subject: report.subject,
    to: report.to ?? null,
    createdAt: report.createdAt,
    delivery: {
      status: report.delivery.status,
      attempts: report.delivery.attempts,
      lastError: report.delivery.lastError ?? null,
      sentAt: report.delivery.sentAt ?? null,
      nextAttemptAt: report.delivery.status === 'sent' ? null : report.delivery.nextAttemptAt,
    },
  };
}

/** Share of the claimed calls that no worker will touch again; a completed run is whole. */
function progressOf(run: RunDocument, counts: RunCounts, strategy: Strategy) {
  const total = run.callsClaimed;
  const settled = Math.min(total, settledCalls(counts, strategy));
  const percent =
    run.state === RunState.Completed ? 100 : total === 0 ? 0 : Math.floor((settled / total) * 100);
  return { settled, total, percent, ...(run.progress ? { pipeline: run.progress } : {}) };
}

function describeRun(run: RunDocument, strategy: Strategy, report?: ReportDocument, liveCounts?: RunCounts) {
  const counts = liveCounts ?? { ...emptyRunCounts(), ...run.counts };
  const end = run.finishedAt ?? (isRunFinished(run.state) ? run.updatedAt : undefined);
  return {
    runId: run.runId,
    candidate: run.candidate,
    trigger: run.trigger,
    state: run.state,
    dryRun: run.dryRun,
    strategy,
    window: { start: run.window.start, end: run.window.end },
    scheduledAt: run.scheduledAt,
    openedAt: run.openedAt,
    startedAt: (run as { startedAt?: Date }).startedAt ?? null,
    updatedAt: run.updatedAt,
    finishedAt: run.finishedAt ?? null,
    durationMs: end ? end.getTime() - run.openedAt.getTime() : null,
    callsClaimed: run.callsClaimed,
    counts,
    progress: progressOf(run, counts, strategy),
    error: run.error ?? null,
    waitingFor: (run as { waitingFor?: string }).waitingFor ?? null,
    csvUrl: run.csvUrl ?? null,
    callerCsvUrl: run.callerCsvUrl ?? null,
    leftBehind: run.leftBehind ?? null,
    vanRequestsUsed: run.vanRequestsUsed ?? null,
    // A `bulk` run's calls sent as jobs: the requests posting them one by one would have used.
    vanRequestsPerCall: run.bulkImport?.calls ?? null,
    dryRunResult: run.dryRunResult ?? null,
    continuous: continuousDayView(run),
    report: reportView(report),
  };
}

export interface RunsRoutesDeps {
  db: Db;
  /** VAN_DAILY_BUDGET: the runs page shows each key's day against it. */
  vanDailyBudget: number;
  cache: ConfigCache;
  vanCache: VanMetadataCache;
  runs: OperatorRuns;
  calls: OperatorCalls;
  reports: ReportsRepository;
  audit: AuditRepository;
  /** VAN_BULK_MAX_ROWS_PER_JOB, as the van-writer splits a bulk run. */
  bulkRowsPerJob: number;
}

export function runsRoutes(deps: RunsRoutesDeps): Router {
  const { cache, vanCache, runs, calls, reports, audit } = deps;
  const router = new Router();

  /** The charts of the candidates the token may see (one, when the page is filtered to it). */
  const nightsOf = async (ctx: Koa.Context, only: string | undefined) => {
    const principal = principalOf(ctx);
    const listed = [...(await cache.current()).candidates.values()]
      .map((entry) => entry.candidate)
      .filter((c) => (only ? c.slug === only : mayAccessCandidate(principal, c.slug)))
      .sort((a, b) => a.slug.localeCompare(b.slug));
    const all = await nightsAtAGlance(deps.db, {
      candidates: listed.map((c) => ({ slug: c.slug, apiKey: c.apiKey })),
      dailyBudget: deps.vanDailyBudget,
    });
    // An inactive candidate is charted only while its last nights had calls.
    const active = new Set(listed.filter((c) => c.active).map((c) => c.slug));
    return all.filter((c) => active.has(c.candidate) || c.nights.some((night) => night.calls > 0));
  };

  const strategyOf = async (run: RunDocument): Promise<Strategy> =>
    run.strategy ?? (await cache.candidate(run.candidate))?.candidate.strategy ?? 'full';

  // "Run now": records a request the extractor picks up (it decides, claims and publishes), or,
  // for a dry run, decides every call here with the same pure functions and stores the answer.
  serve(router, operations.runNow, async (ctx: Koa.Context, { params, query, body }) => {
    const configuration = await candidateParam(ctx, cache, params.ref);
    const { candidate } = configuration;
    const now = new Date();
    // Query parameters, or the same names in a JSON body.
    const day = query.window ?? body?.window;
    const window = day ? windowForDay(day) : windowForRun(now, candidate.syncHourEastern);
    const dryRun = isSet(query.dryRun ?? body?.dryRun);
    const runId = randomUUID();
    const run: RunDocument = {
      _id: runId,
      runId,
      candidate: candidate.slug,
      trigger: 'request',
      state: RunState.Open,
      window,
      scheduledAt: now,
      dryRun,
      callsClaimed: 0,
      counts: emptyRunCounts(),
      openedAt: now,
      updatedAt: now,
    };

    if (!dryRun) {
      const pending = await runs.findOpenRequest(candidate.slug);
      if (pending) {
        throw new HttpError(
          409,
          'run_already_requested',
          `run ${pending.runId} is already waiting to start`,
          {
            runId: pending.runId,
          },
        );
      }
      await runs.insert(run);
      await recordAudit(ctx, audit, {
        action: 'run_requested',
        candidate: candidate.slug,
        outcome: 'done',
        summary: `run ${runId} requested for the window ${describeWindow(window)}`,
        details: { runId, window: windowText(window) },
      });
      ctx.status = 202;
      ctx.set('Location', `/runs/${runId}`);
      ctx.body = describeRun(run, candidate.strategy);
      return;
    }

    try {
      const metadata = deliversOnlyCsv(candidate) ? undefined : (await vanCache.get(candidate)).metadata;
      const result = await computeDryRun(
        calls.unsyncedInWindow(candidate.district, window),
        configuration,
        metadata,
        deps.bulkRowsPerJob,
      );
      const finishedAt = new Date();
      const dryRunPlan = {
        counts: { ...emptyRunCounts(), ...result.byStatus },
        vanPosts: result.byRoute.van,
        bulkRows: result.byRoute['van-bulk'],
        csvRows: result.byRoute.csv + result.byRoute['csv-after-van'],
      };
      Object.assign(run, {
        state: RunState.Completed,
        strategy: candidate.strategy,
        dryRunResult: result,
        dryRunPlan,
        updatedAt: finishedAt,
        finishedAt,
      });
      await runs.insert(run);
      await recordAudit(ctx, audit, {
        action: 'dry_run',
        candidate: candidate.slug,
        outcome: 'done',
        summary: `dry run ${runId} of ${result.calls} calls in the window ${describeWindow(window)}`,
        details: { runId, window: windowText(window), calls: result.calls },
      });
      ctx.status = 201;
      ctx.set('Location', `/runs/${runId}`);
      ctx.body = describeRun(run, candidate.strategy);
    } catch (error) {
      if (!(error instanceof VanError)) throw error;
      const spent = error instanceof VanBudgetExhaustedError;
      Object.assign(run, {
        state: RunState.Failed,
        error: spent ? VAN_BUDGET_SPENT : error.message,
        finishedAt: new Date(),
      });
      await runs.insert(run);
      if (spent) throw vanBudgetSpent({ runId });
      throw new HttpError(502, 'van_unavailable', `dry run failed: ${error.message}`, { runId });
    }
  });

  serve(router, operations.runs, async (ctx: Koa.Context, { query }) => {
    const { candidate, state, limit } = query;
    if (candidate !== undefined) assertCandidateAllowed(ctx, candidate);
    const { candidates: allowed } = principalOf(ctx);
    const found = await runs.list({
      limit,
      ...(candidate ? { candidate } : allowed ? { candidates: allowed } : {}),
      ...(state ? { state } : {}),
    });
    const reportByRun = await reports.getForRuns(found.map((run) => run.runId));
    const views = await Promise.all(
      found.map(async (run) => describeRun(run, await strategyOf(run), reportByRun.get(run.runId))),
    );
    const answer = {
      runs: views,
      live: views.filter((run) => !isRunFinished(run.state)).length,
      nights: await nightsOf(ctx, candidate),
    };
    respond(ctx, answer, () => renderRunsPage(ctx, answer, { candidate, state }));
  });

  serve(router, operations.run, async (ctx: Koa.Context, { params }) => {
    const runId = params.ref;
    const run = await runs.get(runId);
    if (!run) throw new HttpError(404, 'unknown_run', `no run ${runId}`);
    assertCandidateAllowed(ctx, run.candidate);
    // The calls are the truth while a run is live; the counts on the run doc may lag.
    const [byStatus, errors, receipts, reportByRun, outcomeUnknown] = await Promise.all([
      calls.countByStatusForRun(runId),
      calls.errorsForRun(runId, 20),
      calls.receiptsForRun(runId, 20),
      reports.getForRuns([runId]),
      calls.countOutcomeUnknownForRun(runId),
    ]);
    const aggregated = Object.values(byStatus).some((count) => count > 0);
    const liveCounts = aggregated
      ? (Object.fromEntries(SYNC_STATUSES.map((status) => [status, byStatus[status] ?? 0])) as RunCounts)
      : undefined;
    const answer = {
      ...describeRun(run, await strategyOf(run), reportByRun.get(runId), liveCounts),
      /** Calls VAN may or may not hold: a person checks them in VAN before any replay. */
      outcomeUnknown,
      errors,
      receipts,
    };
    respond(ctx, answer, () => renderRunPage(ctx, answer));
  });

  return router;
}
