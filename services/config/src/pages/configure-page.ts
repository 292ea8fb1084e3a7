import type Koa from 'koa';
import { copyButton, html, renderPage } from './layout';

/** What the configure page shows: the candidate, and the VAN ids to copy into Airtable. */
interface ConfigureView {
  candidate: { slug: string; referenceName: string; system: string; strategy: string; district: string };
  van: {
    database: string | null;
    committee: string | null;
    fetchedAt: string;
    resultCodes: { id: number; name: string }[];
    activistCodes: { id: number; label: string }[];
    surveyQuestions: {
      id: number;
      name: string;
      type: string | null;
      responses: { name: string; pair: string }[];
    }[];
  } | null;
  note: string | null;
  instructions: readonly string[];
}

export function renderConfigurePage(ctx: Koa.Context, view: ConfigureView): string {
  const { candidate, van } = view;
  const vanSection = van
    ? html` <p class="sub">
          VAN
          ${van.database ? html`database <strong>${van.database}</strong>` : ''}${van.committee ? ` · ${van.committee}` : ''}
          · ids read ${van.fetchedAt}
        </p>
        <div class="grid">
          <section>
            <h2>Result codes</h2>
            <p class="small muted">For "Canvass Result Code" (Success unchecked).</p>
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Id</th>
                </tr>
              </thead>
              <tbody>
                ${van.resultCodes.map(
                  (code) =>
                    html`<tr>
                      <td>${code.name}</td>
                      <td><span class="id">${code.id}</span>${copyButton(String(code.id))}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </section>
          <section>
            <h2>Activist codes</h2>
            <p class="small muted">For "Tags" (Success checked), comma-separated.</p>
            <table>
              <thead>
                <tr>
                  <th>Name (description)</th>
                  <th>Id</th>
                </tr>
              </thead>
              <tbody>
                ${van.activistCodes.map(
                  (code) =>
                    html`<tr>
                      <td>${code.label}</td>
                      <td><span class="id">${code.id}</span>${copyButton(String(code.id))}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </section>
        </div>
        <h2>Survey questions</h2>
        <p class="small muted">
          For "QR 1", "QR 2", ...: paste one <code>questionId,responseId</code> per column.
        </p>
        <table>
          <thead>
            <tr>
              <th>Question</th>
              <th>questionId,responseId → response</th>
            </tr>
          </thead>
          <tbody>
            ${van.surveyQuestions.map(
              (question) =>
                html`<tr>
                  <td>
                    <strong>${question.name}</strong><br /><span class="small muted"
                      >question ${question.id}${question.type ? ` · ${question.type}` : ''}</span
                    >
                  </td>
                  <td>
                    ${question.responses.map((response) => html`<div><span class="id">${response.pair}</span>${copyButton(response.pair)} → ${response.name}</div>`)}
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>`
    : html`<div class="card">${view.note}</div>`;
  const body = html`<h1>Configure ${candidate.referenceName}</h1>
    <p class="sub">
      ${candidate.strategy} sync to ${candidate.system} · district ${candidate.district} ·
      <a href="/validate/${candidate.slug}">validate this configuration</a>
    </p>
    <div class="card">
      <h2 style="margin-top:0">How to fill the result table</h2>
      <ol class="steps">
        ${view.instructions.map((step) => html`<li>${step}</li>`)}
      </ol>
    </div>
    ${vanSection}`;
  return renderPage(ctx, { title: `Configure ${candidate.referenceName}`, body, withCopyScript: true });
}
