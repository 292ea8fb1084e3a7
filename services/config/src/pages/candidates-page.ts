import type Koa from 'koa';
import type { ConfigError } from '@call-sync/core';
import { html, renderPage } from './layout';

/** What the list shows of each candidate (the API's candidate summary holds more). */
interface CandidateSummary {
  slug: string;
  referenceName: string;
  strategy: string;
  system: string;
  district: string;
  syncHourEastern: number;
  active: boolean;
  configurationErrors: ConfigError[];
}

interface CandidatesView {
  candidates: CandidateSummary[];
  configurationErrors: ConfigError[];
  source: string;
  loadedAt: Date | null;
  lastRefreshError: string | null;
}

const errorList = (errors: ConfigError[]) =>
  html`<ul class="checks">
    ${errors.map(
      (e) =>
        html`<li class="bad">
          ${e.table}${e.rowId ? html` row <code>${e.rowId}</code>` : ''}${e.field ? ` · ${e.field}` : ''}:
          ${e.message}
        </li>`,
    )}
  </ul>`;

export function renderCandidatesPage(ctx: Koa.Context, view: CandidatesView): string {
  const body = html`<h1>Candidates</h1>
    <p class="sub">
      Configuration from Airtable
      (${view.source}${view.loadedAt ? `, read ${view.loadedAt.toISOString()}` : ''}).
      ${view.lastRefreshError ? html`<span class="pill warn">last refresh failed: ${view.lastRefreshError}</span>` : ''}
    </p>
    <table>
      <thead>
        <tr>
          <th>Candidate</th>
          <th>Strategy</th>
          <th>System</th>
          <th>District</th>
          <th>Sync hour (ET)</th>
          <th>Active</th>
          <th>Configuration</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${view.candidates.map(
          (c) =>
            html`<tr>
              <td><strong>${c.referenceName}</strong><br /><span class="small muted">${c.slug}</span></td>
              <td>${c.strategy}</td>
              <td>${c.system}</td>
              <td>${c.district}</td>
              <td>${String(c.syncHourEastern).padStart(2, '0')}:00</td>
              <td>
                ${c.active ? html`<span class="pill ok">active</span>` : html`<span class="pill muted">paused</span>`}
              </td>
              <td>
                ${c.configurationErrors.length === 0 ? html`<span class="pill ok">no errors</span>` : errorList(c.configurationErrors)}
              </td>
              <td class="small">
                <a href="/configure/${c.slug}">configure</a> · <a href="/validate/${c.slug}">validate</a> ·
                <a href="/runs?candidate=${c.slug}">runs</a>
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${
      view.configurationErrors.length > 0
        ? html`<h2>Listing and term-code errors</h2>
            <div class="card">${errorList(view.configurationErrors)}</div>`
        : ''
    }`;
  return renderPage(ctx, { title: 'Candidates', body });
}
