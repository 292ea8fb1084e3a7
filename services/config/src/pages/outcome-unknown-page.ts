import type Koa from 'koa';
import { formatEasternDate, formatEasternTime, type SentItem } from '@call-sync/core';
import { html, renderPage, type SafeHtml } from './layout';

interface WorklistCall {
  callId: string;
  candidate: string | null;
  runId: string | null;
  vanId: number | null;
  voter: string;
  phoneDialed: string;
  calledAt: string;
  result: string | null;
  postLeftAt: string | null;
  attempts: number;
  sent: SentItem[];
  error: string | null;
  vanUrl: string | null;
  repostInFlight: boolean;
}

const when = (iso: string | null) => {
  if (!iso) return '—';
  const at = new Date(iso);
  return `${formatEasternDate(at)} ${formatEasternTime(at)}`;
};

const named = (name: string | null, id: number) =>
  name ? html`${name} <code>${id}</code>` : html`<code>${id}</code>`;

/** What the post told VAN, in VAN's words where known, ids always. */
export function sentList(items: SentItem[]): SafeHtml {
  if (items.length === 0) return html`<span class="muted">no request stored</span>`;
  return html`<ul class="checks small">
    ${items.map((item) => {
      switch (item.type) {
        case 'ResultCode':
          return html`<li>result code ${named(item.name, item.resultCodeId)}</li>`;
        case 'SurveyResponse':
          return html`<li>
            ${named(item.question, item.surveyQuestionId)} → ${named(item.response, item.surveyResponseId)}
          </li>`;
        case 'ActivistCode':
          return html`<li>activist code ${named(item.name, item.activistCodeId)} (${item.action})</li>`;
      }
    })}
  </ul>`;
}

export function renderOutcomeUnknownPage(
  ctx: Koa.Context,
  answer: { calls: WorklistCall[]; total: number; namesFromVan: boolean },
  filters: {
    candidate?: string | undefined;
    run?: string | undefined;
    day?: string | undefined;
    canResolve: boolean;
  },
): string {
  const scope = [
    filters.candidate ? `candidate ${filters.candidate}` : '',
    filters.run ? `run ${filters.run}` : '',
    filters.day ? `called ${filters.day}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const rows = answer.calls.map(
    (call) =>
      html`<tr>
        <td>
          ${
            filters.canResolve && !call.repostInFlight
              ? html`<input
                  type="checkbox"
                  name="callId"
                  value="${call.callId}"
                  aria-label="select ${call.callId}"
                />`
              : ''
          }
        </td>
        <td>
          <code>${call.callId}</code><br /><span class="small muted">${call.candidate ?? '—'}</span>
          ${call.runId ? html`<br /><a class="small" href="/runs/${call.runId}">its run</a>` : ''}
        </td>
        <td>
          ${call.voter}<br />
          ${
            call.vanId !== null
              ? html`VAN id
                  <code>${call.vanId}</code>
                  ${call.vanUrl ? html`<br /><a href="${call.vanUrl}" target="_blank" rel="noopener">open in VAN</a>` : ''}`
              : ''
          }
          <br /><span class="small">phone ${call.phoneDialed}</span>
        </td>
        <td class="small">
          called ${when(call.calledAt)}<br />post left ${when(call.postLeftAt)}<br />${call.attempts}
          attempt(s)
        </td>
        <td>${call.result ?? '—'}${sentList(call.sent)}</td>
        <td class="small" style="color:var(--bad)">
          ${call.error ?? ''}${
            call.repostInFlight ? html`<br /><span class="pill warn">re-post in flight</span>` : ''
          }
        </td>
      </tr>`,
  );
  const body = html`<h1>Outcome unknown</h1>
    <p class="sub">
      ${answer.total} calls${scope ? ` (${scope})` : ''} whose post may or may not have reached VAN: a timeout
      or a crash while it was in flight. They are never posted again by themselves. Open each voter in VAN and
      look for a phone contact at the time called with the result below.
    </p>
    ${
      answer.namesFromVan
        ? ''
        : html`<p class="small muted">
            VAN's names could not be read for every candidate: ids only where missing.
          </p>`
    }
    <form method="get" action="/outcome-unknown" class="card small">
      <label>Candidate <input name="candidate" value="${filters.candidate ?? ''}" size="16" /></label>
      <label>Run <input name="run" value="${filters.run ?? ''}" size="38" /></label>
      <label>Day called <input name="day" type="date" value="${filters.day ?? ''}" /></label>
      <button type="submit">Filter</button>
    </form>
    ${
      answer.calls.length === 0
        ? html`<div class="card">
            Nothing to resolve${scope ? ` for ${scope}` : ''}: every call has its outcome.
          </div>`
        : html`<form method="post" action="/outcome-unknown/resolve">
            <table>
              <thead>
                <tr>
                  <th></th>
                  <th>Call</th>
                  <th>Voter</th>
                  <th>When</th>
                  <th>What was sent</th>
                  <th>Error</th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>
            ${
              answer.total > answer.calls.length
                ? html`<p class="small muted">
                    Showing ${answer.calls.length} of ${answer.total}, oldest first.
                  </p>`
                : ''
            }
            ${
              filters.canResolve
                ? html`<div class="card">
                    <p>For the ticked calls:</p>
                    <button class="primary" type="submit" name="verdict" value="in-van">
                      It is in VAN — mark finished
                    </button>
                    <button type="submit" name="verdict" value="not-in-van">
                      It is not in VAN — post it once more
                    </button>
                    <p class="small muted">
                      Both are recorded in the audit under your name. A post sent once more that times out
                      again stays here: it is never sent twice without you.
                    </p>
                  </div>`
                : html`<p class="small muted">An operator resolves these calls; you can see them here.</p>`
            }
          </form>`
    }`;
  return renderPage(ctx, { title: 'Outcome unknown', body });
}

const RESULT_PILLS: Record<string, string> = {
  finished: 'ok',
  attempted_error: 'bad',
  outcome_unknown: 'warn',
  refused: 'muted',
};

export function renderResolvedPage(
  ctx: Koa.Context,
  answer: { verdict: 'in-van' | 'not-in-van'; results: { callId: string; result: string; detail: string }[] },
): string {
  const body = html`<h1>${answer.verdict === 'in-van' ? 'Confirmed in VAN' : 'Posted once more'}</h1>
    <table>
      <thead>
        <tr>
          <th>Call</th>
          <th>Now</th>
          <th>What happened</th>
        </tr>
      </thead>
      <tbody>
        ${answer.results.map(
          (r) =>
            html`<tr>
              <td><code>${r.callId}</code></td>
              <td>
                <span class="pill ${RESULT_PILLS[r.result] ?? 'muted'}">${r.result.replace('_', ' ')}</span>
              </td>
              <td class="small">${r.detail}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <p><a href="/outcome-unknown">Back to the worklist</a></p>`;
  return renderPage(ctx, { title: 'Outcome unknown', body });
}
