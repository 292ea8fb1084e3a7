import type Koa from 'koa';
import { formatEasternDate, formatEasternTime } from '@call-sync/core';
import type { AuditEntry } from '../data-access/audit-repository';
import { html, renderPage } from './layout';

const ACTION_LABELS: Record<AuditEntry['action'], string> = {
  run_requested: 'run requested',
  dry_run: 'dry run',
  reset: 'reset',
  import: 'call import',
  config_refresh: 'configuration refresh',
  outcome_confirmed: 'outcome unknown: found in VAN',
  outcome_reposted: 'outcome unknown: posted once more',
  denied: 'refused',
};

export function renderAuditPage(
  ctx: Koa.Context,
  entries: (Omit<AuditEntry, '_id'> & { id: string })[],
  page: { candidate?: string | undefined; offset: number; next?: string | undefined },
): string {
  const body = html`<h1>Audit</h1>
    <p class="sub">
      ${page.offset === 0 ? 'The' : `After the ${page.offset}`} ${entries.length} most recent operator actions
      and refused requests${page.candidate ? ` for ${page.candidate}` : ''}, newest first · who is the token's
      name in API_TOKENS
    </p>
    <table>
      <thead>
        <tr>
          <th>When (Eastern)</th>
          <th>Who</th>
          <th>Action</th>
          <th>Candidate</th>
          <th>What</th>
        </tr>
      </thead>
      <tbody>
        ${entries.map(
          (entry) =>
            html`<tr>
              <td class="small">${formatEasternDate(entry.at)} ${formatEasternTime(entry.at)}</td>
              <td>
                ${
                  entry.actor
                    ? html`<strong>${entry.actor}</strong><br /><span class="small muted"
                          >${entry.role} · ${entry.via}</span
                        >`
                    : html`<span class="muted">no token</span>`
                }
              </td>
              <td>
                ${ACTION_LABELS[entry.action]}
                ${entry.outcome === 'failed' ? html`<span class="pill bad">failed</span>` : ''}
              </td>
              <td>${entry.candidate ?? '—'}</td>
              <td class="small">${entry.summary}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${entries.length === 0 ? html`<div class="card muted">No operator actions recorded yet.</div>` : ''}
    ${page.next ? html`<p><a href="${page.next}">Older entries</a></p>` : ''}`;
  return renderPage(ctx, { title: 'Audit', body });
}
