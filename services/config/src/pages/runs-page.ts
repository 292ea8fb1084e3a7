import type Koa from 'koa';
import { formatEasternDate, formatEasternTime, type RunCounts, type SyncStatus } from '@call-sync/core';
import type { DryRunResult } from '@call-sync/store';
import { continuousDayLine, type ContinuousDayView } from './continuous-day-view';
import type { CandidateNights } from '../nights';
import { html, renderPage, type SafeHtml } from './layout';
import { nightCharts } from './night-chart';

/** What the runs pages show of a run (the API's run answer holds more). */
interface RunView {
  runId: string;
  candidate: string;
  trigger: string;
  state: string;
  dryRun: boolean;
  strategy: string;
  window: { start: Date; end: Date };
  openedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  callsClaimed: number;
  counts: RunCounts;
  progress: { settled: number; total: number; percent: number };
  error: string | null;
  waitingFor: string | null;
  csvUrl: string | null;
  callerCsvUrl: string | null;
  leftBehind: { calls: number; before: Date; since: Date } | null;
  vanRequestsUsed: number | null;
  vanRequestsPerCall: number | null;
  dryRunResult: DryRunResult | null;
  /** A continuous candidate's day (Sync Mode continuous), else null. */
  continuous: ContinuousDayView | null;
  report: {
    subject: string;
    to: string | null;
    delivery: { status: string; attempts: number; lastError: string | null };
  } | null;
}

const STATUS_LABELS: Record<string, string> = {
  finished: 'finished',
  queued_for_csv: 'queued for CSV',
  ignored: 'ignored',
  attempted_error: 'VAN error',
  unattempted_error: 'not attempted',
  in_progress: 'in progress',
};

/** Done outcomes first, what is still in progress last: the bar fills from the left. */
const DISPLAY_ORDER: SyncStatus[] = [
  'finished',
  'queued_for_csv',
  'ignored',
  'attempted_error',
  'unattempted_error',
  'in_progress',
];

/** Campaigns think in Eastern time; so does every window. */
const when = (value: Date | string | null) =>
  value ? `${formatEasternDate(new Date(value))} ${formatEasternTime(new Date(value))}` : '—';

const STATE_PILL: Record<string, string> = { completed: 'ok', failed: 'bad', open: 'muted' };

function statePill(state: string): SafeHtml {
  return html`<span class="pill ${STATE_PILL[state] ?? 'warn'}">${state}</span>`;
}

/** A bar split by status: what is done is coloured by outcome, in_progress shows what is left. */
function progressBar(counts: RunCounts, total: number): SafeHtml {
  const denominator = Math.max(
    total,
    DISPLAY_ORDER.reduce((sum, status) => sum + (counts[status] ?? 0), 0),
  );
  if (denominator === 0) return html`<div class="progress" title="no calls"></div>`;
  return html`<div class="progress">
    ${DISPLAY_ORDER.filter((status) => (counts[status] ?? 0) > 0).map(
      (status) =>
        html`<span
          class="${status}"
          style="width:${(((counts[status] ?? 0) / denominator) * 100).toFixed(2)}%"
          title="${STATUS_LABELS[status]}: ${counts[status]}"
        ></span>`,
    )}
  </div>`;
}

const legend = html`<p class="legend">
  ${DISPLAY_ORDER.map((status) => html`<span><i class="${status}"></i>${STATUS_LABELS[status]}</span>`)}
</p>`;

/** A bulk dry run's rows: a few requests per job instead of one per call. */
function bulkRowsText(dry: DryRunResult): string {
  const bulk = dry.bulkImport;
  if (!bulk || bulk.rows === 0) return '';
  return `${bulk.rows} rows in ${bulk.jobs} VAN Bulk Import job${bulk.jobs === 1 ? '' : 's'} (${dry.vanRequests.bulkImport} requests, where posting call by call takes ${bulk.perCallRequests}), `;
}

function countsText(counts: RunCounts): string {
  return DISPLAY_ORDER.filter((status) => (counts[status] ?? 0) > 0)
    .map((status) => `${counts[status]} ${STATUS_LABELS[status]}`)
    .join(' · ');
}

function reportCell(run: RunView): SafeHtml {
  if (run.dryRun) return html`<span class="pill muted">dry run</span>`;
  if (!run.report) return html`<span class="muted small">—</span>`;
  const { delivery } = run.report;
  const cls = delivery.status === 'sent' ? 'ok' : delivery.status === 'failed' ? 'bad' : 'warn';
  return html`<span class="pill ${cls}">${delivery.status}</span
    >${delivery.lastError ? html`<br /><span class="small muted">${delivery.lastError}</span>` : ''}`;
}

export function renderRunsPage(
  ctx: Koa.Context,
  view: { runs: RunView[]; live: number; nights: CandidateNights[] },
  filters: { candidate?: string; state?: string },
): string {
  const body = html`<h1>Runs</h1>
    <p class="sub">
      ${view.runs.length} most
      recent${filters.candidate ? ` for ${filters.candidate}` : ''}${filters.state ? `, ${filters.state}` : ''}
      · ${view.live} live${view.live > 0 ? ' · this page refreshes every 5 seconds' : ''}
    </p>
    ${leftBehindNotes(view.runs)} ${nightCharts(view.nights)}
    <h2>Runs</h2>
    ${legend}
    <table>
      <thead>
        <tr>
          <th>Candidate</th>
          <th>State</th>
          <th>Window (Eastern)</th>
          <th>Progress</th>
          <th>Calls</th>
          <th>Opened / took</th>
          <th>Report</th>
        </tr>
      </thead>
      <tbody>
        ${view.runs.map(
          (run) =>
            html`<tr>
              <td>
                <a href="/runs/${run.runId}"><strong>${run.candidate}</strong></a
                ><br /><span class="small muted"
                  >${run.trigger}${run.dryRun ? ' · dry run' : ''} · ${run.strategy}</span
                >
              </td>
              <td>
                ${statePill(run.state)}${run.error ? html`<br /><span class="small" style="color:var(--bad)">${run.error}</span>` : ''}${run.waitingFor ? html`<br /><span class="small muted">waiting: ${run.waitingFor}</span>` : ''}${continuousDayLine(run.continuous, when)}
              </td>
              <td class="small">${when(run.window.start)}<br />→ ${when(run.window.end)}</td>
              <td>
                ${run.dryRun && run.dryRunResult ? html`<span class="small">would post ${run.dryRunResult.vanRequests.canvassPosts} to VAN of ${run.dryRunResult.calls} calls</span>` : html`${progressBar(run.counts, run.callsClaimed)}<span class="small muted">${run.progress.percent}% · ${run.progress.settled}/${run.progress.total}</span>`}
              </td>
              <td class="small">${countsText(run.counts) || '—'}</td>
              <td class="small">
                ${when(run.openedAt)}<br />${run.durationMs !== null ? `${(run.durationMs / 1000).toFixed(1)} s` : 'running'}
              </td>
              <td>${reportCell(run)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${view.runs.length === 0 ? html`<div class="card muted">No runs yet.</div>` : ''}`;
  return renderPage(ctx, { title: 'Runs', body, ...(view.live > 0 ? { refreshSeconds: 5 } : {}) });
}

export function renderRunPage(
  ctx: Koa.Context,
  run: RunView & { outcomeUnknown: number; errors: { error: string; count: number }[]; receipts: unknown[] },
): string {
  const dry = run.dryRunResult;
  const body = html`<h1>Run for ${run.candidate}</h1>
    <p class="sub">
      ${statePill(run.state)} ${run.trigger}${run.dryRun ? ' · dry run' : ''} · ${run.strategy} ·
      <code>${run.runId}</code>${continuousDayLine(run.continuous, when)}
    </p>
    <div class="card">
      ${progressBar(run.counts, run.callsClaimed)}
      <p>${run.progress.percent}% settled · ${countsText(run.counts) || 'no calls claimed yet'}</p>
      <p class="small muted">
        window ${when(run.window.start)} → ${when(run.window.end)} Eastern · opened ${when(run.openedAt)} ·
        finished
        ${when(run.finishedAt)}${run.vanRequestsUsed !== null ? ` · ${run.vanRequestsUsed} VAN requests` : ''}${run.vanRequestsPerCall !== null ? ` (posting call by call: ${run.vanRequestsPerCall})` : ''}
      </p>
      ${run.error ? html`<p style="color:var(--bad)">${run.error}</p>` : ''}
      ${
        run.outcomeUnknown > 0
          ? html`<p class="outcome-unknown" style="color:var(--bad)">
              <strong>${run.outcomeUnknown} calls: outcome unknown.</strong> VAN may or may not have recorded
              them; they are never posted again by themselves.
              <a href="/outcome-unknown?run=${run.runId}">Check each in VAN on the worklist</a>, where you
              mark it found in VAN or post it once more.
            </p>`
          : ''
      }
      ${run.csvUrl ? html`<p><a href="${run.csvUrl}">results CSV</a></p>` : ''}
      ${run.callerCsvUrl ? html`<p><a href="${run.callerCsvUrl}">caller file</a></p>` : ''}
    </div>
    ${
      dry
        ? html`<h2>Dry run</h2>
            <div class="card">
              <p>
                <strong>${dry.calls}</strong> unsynced calls: ${dry.vanRequests.canvassPosts} VAN posts,
                ${bulkRowsText(dry)}${dry.byRoute.csv + dry.byRoute['csv-after-van']} CSV rows,
                ${dry.byRoute.none} settled without a request. ${dry.vanRequests.total} VAN requests in all (≈
                ${dry.estimatedCostCents}¢ beyond the free 1,000 a day).
              </p>
              <table>
                <thead>
                  <tr>
                    <th>Display name</th>
                    <th>Calls</th>
                  </tr>
                </thead>
                <tbody>
                  ${Object.entries(dry.byDisplayName).map(
                    ([name, count]) =>
                      html`<tr>
                        <td>${name}</td>
                        <td>${count}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
        : ''
    }
    ${
      run.errors.length > 0
        ? html`<h2>Errors</h2>
            <table>
              <thead>
                <tr>
                  <th>Error</th>
                  <th>Calls</th>
                </tr>
              </thead>
              <tbody>
                ${run.errors.map(
                  (e) =>
                    html`<tr>
                      <td>${e.error}</td>
                      <td>${e.count}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
        : ''
    }
    ${
      run.report
        ? html`<h2>Report</h2>
            <div class="card">
              <p><strong>${run.report.subject}</strong> → ${run.report.to ?? '(no address)'}</p>
              <p>${reportCell(run)} after ${run.report.delivery.attempts} attempts</p>
            </div>`
        : ''
    }`;
  return renderPage(ctx, {
    title: `Run ${run.candidate}`,
    body,
    ...(['completed', 'failed'].includes(run.state) ? {} : { refreshSeconds: 5 }),
  });
}

/**
 * For each candidate, the latest scheduled run that found unsynced calls no scheduled run will
 * reach: a person must request a run for their days, or they are never synced.
 */
function leftBehindNotes(runs: RunView[]): SafeHtml {
  const latest = new Map<string, RunView>();
  for (const run of runs)
    if (run.trigger === 'schedule' && !latest.has(run.candidate)) latest.set(run.candidate, run);
  const notes = [...latest.values()].filter((run) => (run.leftBehind?.calls ?? 0) > 0);
  return html`${notes.map(
    (run) =>
      html`<div class="card left-behind" style="border-color:var(--bad)">
        <strong style="color:var(--bad)"
          >${run.candidate}: ${run.leftBehind!.calls} calls left behind.</strong
        >
        They were made between ${when(run.leftBehind!.since)} and ${when(run.leftBehind!.before)} (Eastern),
        are still unsynced, and are older than what the nightly run catches up (the last completed run, or the
        catch-up limit). Request a run for each of their days (<code
          >POST /runs/${run.candidate}?window=YYYY-MM-DD</code
        >).
      </div>`,
  )}`;
}
