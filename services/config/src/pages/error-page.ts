import type Koa from 'koa';
import type { ConfigError } from '@call-sync/core';
import { html, renderPage } from './layout';

/** What the page shows of an HTTP error; `detail` is already safe to show. */
interface ErrorView {
  status: number;
  detail: string;
  extra: Record<string, unknown>;
}

export function renderErrorPage(ctx: Koa.Context, error: ErrorView): string {
  const candidates = Array.isArray(error.extra.candidates) ? (error.extra.candidates as string[]) : [];
  const rowErrors = Array.isArray(error.extra.configurationErrors)
    ? (error.extra.configurationErrors as ConfigError[])
    : [];
  const base = ctx.path.split('/').slice(0, 2).join('/');
  const heading =
    error.status === 401
      ? 'Please sign in'
      : error.status === 429
        ? 'Too many wrong tokens'
        : 'Something is not right';
  const body = html`<h1>${heading}</h1>
    <div class="card">
      <p><span class="pill bad">${error.status}</span> ${error.detail}</p>
      ${error.status === 401 ? html`<p><a href="/login?next=${encodeURIComponent(ctx.path)}">Sign in with an API token</a></p>` : ''}
      ${
        rowErrors.length > 0
          ? html`<ul class="checks">
                ${rowErrors.map((e) => html`<li class="bad">${e.table} row <code>${e.rowId}</code> · ${e.field}: ${e.message}</li>`)}
              </ul>
              <p>
                Fix the row in Airtable; <a href="/validate/${error.extra.candidate}">validate</a> shows it
                again.
              </p>`
          : ''
      }
      ${
        candidates.length > 0
          ? html`<p>Valid candidates:</p>
              <ul>
                ${candidates.map((slug) => html`<li><a href="${base}/${slug}">${slug}</a></li>`)}
              </ul>`
          : ''
      }
    </div>`;
  return renderPage(ctx, { title: `Error ${error.status}`, body });
}
