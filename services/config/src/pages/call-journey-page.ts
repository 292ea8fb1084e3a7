import type Koa from 'koa';
import { formatEasternDate, formatEasternTime } from '@call-sync/core';
import type { CallJourney } from '../call-journey-view';
import { html, renderPage, type SafeHtml } from './layout';
import { sentList } from './outcome-unknown-page';

const KEYS = [
  ['voter', 'Voter id'],
  ['phone', 'Phone number'],
  ['call', 'Call id'],
  ['account', 'Account number'],
] as const;

const ROUTE_LABELS: Record<string, string> = {
  van: 'VAN post',
  'van-bulk': 'VAN Bulk Import row',
  csv: 'CSV row',
  none: 'nothing sent',
  'not yet decided': 'not decided yet',
};

const STATUS_PILL: Record<string, string> = {
  finished: 'ok',
  ignored: 'muted',
  unsynced: 'muted',
  attempted_error: 'bad',
  unattempted_error: 'bad',
};

/** Campaigns think in Eastern time. */
const when = (iso: string | null) => {
  if (!iso) return '—';
  const at = new Date(iso);
  return `${formatEasternDate(at)} ${formatEasternTime(at)}`;
};

function journeyCard(call: CallJourney): SafeHtml {
  const status = call.outcomeUnknown ? 'outcome unknown' : call.status.replace('_', ' ');
  return html`<section class="card journey" data-call="${call.callId}">
    <h2>
      <code>${call.callId}</code> · ${call.candidate ?? 'no candidate'}
      <span class="pill ${call.outcomeUnknown ? 'warn' : (STATUS_PILL[call.status] ?? 'warn')}"
        >${status}</span
      >
    </h2>
    <table class="facts">
      <tbody>
        <tr>
          <th>Called (Eastern)</th>
          <td class="called">${when(call.calledAt)}</td>
        </tr>
        <tr>
          <th>Voter</th>
          <td>
            VAN id <code>${call.voterId}</code> · account <code>${call.accountNumber}</code> · phone
            ${call.phoneDialed}
          </td>
        </tr>
        <tr>
          <th>Dialer result</th>
          <td class="result">
            ${call.result.dialer} →
            ${call.result.fullOnScreenResult}${call.result.displayName ? ` (${call.result.displayName})` : ''}
          </td>
        </tr>
        <tr>
          <th>Decision</th>
          <td class="decision">
            <strong>${ROUTE_LABELS[call.decision.route]}</strong> — ${call.decision.why}
          </td>
        </tr>
        <tr>
          <th>Run</th>
          <td class="run">
            ${
              call.run
                ? html`<a href="/runs/${call.run.runId}">${call.run.runId}</a>
                    <span class="small muted"
                      >${call.run.trigger ?? ''} · ${call.run.strategy ?? ''} ·
                      ${call.run.state ?? 'run not found'}</span
                    >`
                : html`<span class="muted">none yet</span>`
            }
          </td>
        </tr>
        <tr>
          <th>VAN request</th>
          <td class="van-request">
            ${
              call.vanRequest
                ? html`to VAN id <code>${call.vanRequest.vanId}</code>${sentList(call.vanRequest.sent)}
                    <details>
                      <summary class="small">as sent</summary>
                      <pre class="small">${JSON.stringify(call.vanRequest.body, null, 2)}</pre>
                    </details>`
                : html`<span class="muted">none: this call is not posted to VAN one by one</span>`
            }
          </td>
        </tr>
        <tr>
          <th>Receipt</th>
          <td class="receipt">
            ${
              call.receipt
                ? html`${call.receipt.text}${call.receipt.url ? html` · <a href="${call.receipt.url}">the CSV file</a>` : ''}`
                : html`<span class="muted">none</span>`
            }
          </td>
        </tr>
        <tr>
          <th>Error</th>
          <td class="error">
            ${call.error ? html`<span style="color:var(--bad)">${call.error}</span>` : html`<span class="muted">none</span>`}
            ${
              call.outcomeUnknown
                ? html`<br /><a href="/outcome-unknown?run=${call.run?.runId ?? ''}"
                      >on the outcome-unknown worklist</a
                    >`
                : ''
            }
          </td>
        </tr>
      </tbody>
    </table>
    <h3 class="small muted">History (Eastern)</h3>
    <ol class="history small">
      ${call.history.map(
        (entry) =>
          html`<li>
            <strong>${when(entry.at)}</strong> ${entry.step}${entry.detail ? html` — ${entry.detail}` : ''}
          </li>`,
      )}
    </ol>
  </section>`;
}

export function renderCallSearchPage(
  ctx: Koa.Context,
  answer: { search: { by: string; value: string } | null; calls: CallJourney[]; more: boolean },
): string {
  const by = answer.search?.by ?? 'voter';
  // A phone number is not written back into the page: the search shows its last digits only.
  const value = answer.search && answer.search.by !== 'phone' ? answer.search.value : '';
  const body = html`<h1>Find a call</h1>
    <p class="sub">
      One exact voter id, phone number, call id or account number: every call that matches, newest first, with
      what call-sync did with it.
    </p>
    <form method="post" action="/calls/search" class="card search">
      <label
        >Search by
        <select name="by">
          ${KEYS.map(([key, label]) => html`<option value="${key}" ${key === by ? 'selected' : ''}>${label}</option>`)}
        </select></label
      >
      <input name="value" value="${value}" size="32" required aria-label="value" autocomplete="off" />
      <button class="primary" type="submit">Find</button>
      <p class="small muted">
        The form is posted, not put in the address: a phone number in a URL would stay in the ingress logs and
        your browser's history.
      </p>
    </form>
    ${
      answer.search
        ? html`<p class="found">
              ${answer.calls.length} call${answer.calls.length === 1 ? '' : 's'} for
              ${KEYS.find(([key]) => key === answer.search!.by)?.[1]}
              <code>${answer.search.value}</code
              >${answer.more ? ` (the newest ${answer.calls.length}; more match)` : ''}
            </p>
            ${answer.calls.length === 0 ? html`<div class="card muted">No call you may see matches.</div>` : ''}`
        : ''
    }
    ${answer.calls.map(journeyCard)}`;
  return renderPage(ctx, { title: 'Find a call', body });
}
