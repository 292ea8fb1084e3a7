import type Koa from 'koa';
import type { Candidate, ConfigCheck, ConfigError, PhoneIdShare, validateResultTable } from '@call-sync/core';
import { html, renderPage } from './layout';

/** The validate answer: the page renders it and the API sends it as JSON. */
export interface ValidateAnswer {
  /** Only the slug is known when the candidate's listing row cannot be read. */
  candidate: {
    slug: string;
    referenceName: string | null;
    system: Candidate['system'] | null;
    strategy: Candidate['strategy'] | null;
    district: string | null;
  };
  ok: boolean;
  header: string;
  apiKey: { ok: boolean; message: string };
  metadataFetchedAt: string | null;
  /** The listing's Contact Type and Input Type, resolved by name against this key's VAN lists. */
  canvassTypes: ConfigCheck[];
  /** A `bulk` candidate: the VAN Bulk Import mappings its rows need, enabled for the key or not. */
  bulkImport: ConfigCheck[];
  /** Of the candidate's recent calls, how many carry VAN's phone id; null when nothing goes to VAN. */
  phoneIds: (PhoneIdShare & { why: string }) | null;
  tableErrors: ConfigError[];
  rows: ReturnType<typeof validateResultTable>['rows'];
}

export function renderValidatePage(ctx: Koa.Context, view: ValidateAnswer): string {
  const { candidate } = view;
  const name = candidate.referenceName ?? candidate.slug;
  const failing = view.rows.filter((row) => !row.ok).length;
  const typesFailing = view.canvassTypes.some((check) => !check.ok);
  // A listing row that cannot be read has no strategy, system or rows to describe yet.
  const listingRowBroken = candidate.strategy === null;
  const sub = listingRowBroken
    ? html`<p class="sub">The candidate's Listing row in Airtable cannot be read: fix the fields below.</p>`
    : html`<p class="sub">
        ${candidate.strategy} sync to ${candidate.system} · ${view.rows.length}
        rows${view.metadataFetchedAt ? ` · VAN ids read ${view.metadataFetchedAt}` : ''} ·
        <a href="/configure/${candidate.slug}">VAN ids</a>
      </p>`;
  const verdict = listingRowBroken
    ? 'the Listing row has errors'
    : `${failing} of ${view.rows.length} rows have errors${view.apiKey.ok ? '' : '; VAN refused the API key'}${typesFailing ? '; the Contact Type or Input Type is unknown to VAN' : ''}`;
  const body = html`<h1>Validate ${name}</h1>
    ${sub}
    <div class="banner ${view.ok ? 'ok' : 'bad'}">
      ${view.header}${view.ok ? '' : html`<div class="small" style="font-weight:400">${verdict}</div>`}
    </div>
    <div class="card">
      <ul class="checks">
        <li class="${view.apiKey.ok ? 'ok' : 'bad'}">API key: ${view.apiKey.message}</li>
        ${[...view.canvassTypes, ...view.bulkImport].map(
          (check) => html`<li class="${check.ok ? 'ok' : 'bad'}">${check.message}</li>`,
        )}
        ${
          view.phoneIds
            ? html`<li class="${view.phoneIds.ok ? 'ok' : 'warn'}" id="phone-ids">
                Phone ids: ${view.phoneIds.message}
                <div class="small muted">${view.phoneIds.why}</div>
              </li>`
            : ''
        }
        ${view.tableErrors.map((e) => html`<li class="bad">${e.table}${e.rowId ? html` row <code>${e.rowId}</code>` : ''}${e.field ? ` · ${e.field}` : ''}: ${e.message}</li>`)}
      </ul>
    </div>
    <table>
      <thead>
        <tr>
          <th>Result</th>
          <th>Display name</th>
          <th>Verdict</th>
          <th>Checks</th>
        </tr>
      </thead>
      <tbody>
        ${view.rows.map(
          (row) =>
            html`<tr>
              <td>
                <strong>${row.fullOnScreenResult}</strong><br /><span class="small muted">${row.rowId}</span>
              </td>
              <td>${row.displayName}</td>
              <td>
                ${row.ok ? html`<span class="pill ok">ok</span>` : html`<span class="pill bad">error</span>`}
              </td>
              <td>
                <ul class="checks">
                  ${row.checks.map((check) => html`<li class="${check.ok ? 'ok' : 'bad'}">${check.message}</li>`)}
                  ${row.warnings.map((warning) => html`<li class="warn">${warning}</li>`)}
                </ul>
              </td>
            </tr>`,
        )}
      </tbody>
    </table>`;
  return renderPage(ctx, { title: `Validate ${name}`, body });
}
