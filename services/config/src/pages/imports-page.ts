import type Koa from 'koa';
import { formatEasternDate, formatEasternTime } from '@call-sync/core';
import type { ImportCounts } from '../data-access/imports-repository';
import { html, renderPage, type SafeHtml } from './layout';

// The import page: pick or drop the dialer's call export, watch it upload (bytes from the
// browser's upload progress, rows read from the job the service updates while it reads), then
// the counts and the row errors. The browser sends the File itself as the body, so the file is
// streamed from disk and never held in the page's memory.

interface ImportView {
  importId: string;
  state: string;
  fileName?: string | undefined;
  by?: string | undefined;
  bytesRead: number;
  counts: ImportCounts;
  rowErrors?: { line: number; message: string; text?: string | undefined }[];
  startedAt: Date | string;
  error?: string | undefined;
}

const when = (value: Date | string | undefined) =>
  value ? `${formatEasternDate(new Date(value))} ${formatEasternTime(new Date(value))}` : '—';

const STATE_PILL: Record<string, string> = { completed: 'ok', failed: 'bad', running: 'warn' };

const COUNT_LABELS = [
  ['rows', 'rows read'],
  ['inserted', 'new calls'],
  ['updated', 'updated'],
  ['unchanged', 'unchanged'],
  ['testAccountsSkipped', 'test accounts skipped'],
  ['errors', 'row errors'],
] as const;

function countsTable(job: ImportView): SafeHtml {
  return html`<table class="counts">
    <tbody>
      ${COUNT_LABELS.map(
        ([key, label]) =>
          html`<tr>
            <th>${label}</th>
            <td data-count="${key}">${job.counts[key]}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function rowErrorsTable(job: ImportView): SafeHtml {
  const errors = job.rowErrors ?? [];
  if (errors.length === 0) return html`<p class="muted">No row errors.</p>`;
  return html`<p>
      <a class="errors-csv" href="/calls/imports/${job.importId}/errors.csv" download
        >Download the row errors as CSV</a
      >${job.counts.errors > errors.length ? ` (the first ${errors.length} of ${job.counts.errors})` : ''}
    </p>
    <table class="row-errors">
      <thead>
        <tr>
          <th>Line</th>
          <th>Error</th>
          <th>The row</th>
        </tr>
      </thead>
      <tbody>
        ${errors.map(
          (e) =>
            html`<tr>
              <td>${e.line}</td>
              <td>${e.message}</td>
              <td><code>${e.text ?? ''}</code></td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

function importRow(job: ImportView): SafeHtml {
  const { counts } = job;
  return html`<tr>
    <td class="small">${when(job.startedAt)}</td>
    <td>${job.by ?? '—'}</td>
    <td><a href="/calls/imports/${job.importId}">${job.fileName ?? job.importId}</a></td>
    <td><span class="pill ${STATE_PILL[job.state] ?? 'muted'}">${job.state}</span></td>
    <td class="small">
      ${counts.rows} rows · ${counts.inserted} new · ${counts.updated} updated · ${counts.unchanged} unchanged
      · ${counts.testAccountsSkipped} test · ${counts.errors}
      errors${job.error ? html`<br /><span style="color:var(--bad)">${job.error}</span>` : ''}
    </td>
  </tr>`;
}

const bar = (id: string, label: string) =>
  html`<div class="upload-bar">
    <div class="small">${label} <span id="${id}-text" class="muted"></span></div>
    <div class="progress" id="${id}" data-percent="0"><span class="finished" style="width:0%"></span></div>
  </div>`;

export function renderImportsPage(
  ctx: Koa.Context,
  answer: { imports: ImportView[] },
  maxBytes: number,
): string {
  const body = html`<h1>Import calls</h1>
    <p class="sub">
      The dialer's call export (CSV): every row is stored or updated by its call id, so uploading the same
      file again changes nothing. Up to ${(maxBytes / 2 ** 20).toFixed(0)} MB.
    </p>
    <form id="upload" class="card" data-max-bytes="${maxBytes}">
      <label
        id="drop"
        class="card"
        style="display:block;border:2px dashed var(--line);text-align:center;cursor:pointer"
      >
        Drop the export here, or <u>pick a file</u>
        <input type="file" name="file" accept=".csv,text/csv" style="display:none" />
        <br /><span id="chosen" class="small muted">no file chosen</span>
      </label>
      <button class="primary" type="submit" disabled>Upload</button>
      <noscript
        ><p class="small">
          Uploading here needs JavaScript; without it:
          <code>curl --data-binary @export.csv -H 'Content-Type: text/csv' …/calls/import</code>
        </p></noscript
      >
      ${bar('bytes-bar', 'Uploaded')} ${bar('rows-bar', 'Read by the service')}
    </form>
    <div id="result"></div>
    <h2>Imports</h2>
    <table id="imports">
      <thead>
        <tr>
          <th>Started (Eastern)</th>
          <th>By</th>
          <th>File</th>
          <th>State</th>
          <th>Counts</th>
        </tr>
      </thead>
      <tbody>
        ${answer.imports.map(importRow)}
      </tbody>
    </table>
    ${answer.imports.length === 0 ? html`<div class="card muted" id="no-imports">No imports yet.</div>` : ''}`;
  return renderPage(ctx, { title: 'Import calls', body, script: UPLOAD_SCRIPT });
}

export function renderImportPage(ctx: Koa.Context, job: ImportView): string {
  const body = html`<h1>Import ${job.fileName ?? job.importId}</h1>
    <p class="sub">
      <span class="pill ${STATE_PILL[job.state] ?? 'muted'}">${job.state}</span> by ${job.by ?? '—'} · started
      ${when(job.startedAt)} · ${job.bytesRead} bytes read · <code>${job.importId}</code>
    </p>
    ${job.error ? html`<div class="banner bad">${job.error}</div>` : ''} ${countsTable(job)}
    <h2>Row errors</h2>
    ${rowErrorsTable(job)}
    <p><a href="/calls/imports">All imports</a></p>`;
  return renderPage(ctx, { title: 'Import', body });
}

// Constant text: every value it shows goes into the page through textContent, never as markup.
const UPLOAD_SCRIPT = `
(() => {
  const form = document.getElementById('upload');
  const input = form.querySelector('input[type=file]');
  const drop = document.getElementById('drop');
  const button = form.querySelector('button[type=submit]');
  const result = document.getElementById('result');
  let chosen = null;

  const setBar = (id, fraction, text) => {
    const percent = Math.max(0, Math.min(100, Math.round(fraction * 1000) / 10));
    const el = document.getElementById(id);
    el.dataset.percent = String(percent);
    el.firstElementChild.style.width = percent + '%';
    document.getElementById(id + '-text').textContent = text;
  };
  const choose = (file) => {
    chosen = file;
    document.getElementById('chosen').textContent = file.name + ' · ' + file.size.toLocaleString('en-US') + ' bytes';
    button.disabled = false;
  };
  input.addEventListener('change', () => { if (input.files[0]) choose(input.files[0]); });
  drop.addEventListener('dragover', (event) => { event.preventDefault(); drop.style.borderColor = 'var(--accent)'; });
  drop.addEventListener('dragleave', () => { drop.style.borderColor = ''; });
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.style.borderColor = '';
    if (event.dataTransfer.files[0]) choose(event.dataTransfer.files[0]);
  });

  // crypto.randomUUID needs a secure context; getRandomValues works everywhere.
  const uuid = () => {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  };
  const el = (tag, text, attrs) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = String(text);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    return node;
  };
  // As the server writes times: MM-DD-YYYY hh:mm AM, Eastern.
  const eastern = (iso) => {
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hour12: true,
    }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
    return parts.month + '-' + parts.day + '-' + parts.year + ' ' + parts.hour + ':' + parts.minute + ' ' + parts.dayPeriod;
  };
  const showRows = (job, size) =>
    setBar('rows-bar', size > 0 ? job.bytesRead / size : 1, job.counts.rows.toLocaleString('en-US') + ' rows read');

  const labels = ${JSON.stringify(COUNT_LABELS)};
  const showResult = (job) => {
    result.replaceChildren();
    const card = el('div', undefined, { class: 'card', id: 'import-result' });
    card.append(el('h2', 'Imported ' + (job.fileName || job.importId)));
    const table = el('table', undefined, { class: 'counts' });
    for (const [key, label] of labels) {
      const row = el('tr');
      row.append(el('th', label), el('td', job.counts[key], { 'data-count': key }));
      table.append(row);
    }
    card.append(table);
    if (job.rowErrors.length > 0) {
      const link = el('a', 'Download the row errors as CSV', {
        class: 'errors-csv', href: '/calls/imports/' + job.importId + '/errors.csv', download: '',
      });
      card.append(el('p'));
      card.lastChild.append(link);
      const errors = el('table', undefined, { class: 'row-errors' });
      const head = el('tr');
      head.append(el('th', 'Line'), el('th', 'Error'), el('th', 'The row'));
      errors.append(head);
      for (const e of job.rowErrors) {
        const row = el('tr');
        const text = el('td');
        text.append(el('code', e.text || ''));
        row.append(el('td', e.line), el('td', e.message), text);
        errors.append(row);
      }
      card.append(errors);
    } else {
      card.append(el('p', 'No row errors.', { class: 'muted' }));
    }
    result.append(card);
  };
  const showRefusal = (status, body) => {
    result.replaceChildren(el('div', 'Not imported (' + status + '): ' + (body.detail || body.error || 'no answer'), {
      class: 'banner bad', id: 'import-refused',
    }));
  };
  const refreshList = async () => {
    const response = await fetch('/calls/imports', { headers: { accept: 'application/json' } });
    if (!response.ok) return;
    const { imports } = await response.json();
    const rows = imports.map((job) => {
      const row = el('tr');
      const file = el('td');
      file.append(el('a', job.fileName || job.importId, { href: '/calls/imports/' + job.importId }));
      const c = job.counts;
      row.append(
        el('td', eastern(job.startedAt), { class: 'small' }),
        el('td', job.by || '—'),
        file,
        el('td', job.state),
        el('td', c.rows + ' rows · ' + c.inserted + ' new · ' + c.updated + ' updated · ' + c.unchanged +
          ' unchanged · ' + c.testAccountsSkipped + ' test · ' + c.errors + ' errors', { class: 'small' }),
      );
      return row;
    });
    document.querySelector('#imports tbody').replaceChildren(...rows);
    if (rows.length > 0) document.getElementById('no-imports')?.remove();
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!chosen) return;
    const file = chosen;
    const id = uuid();
    button.disabled = true;
    result.replaceChildren();
    setBar('bytes-bar', 0, '');
    setBar('rows-bar', 0, '');
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/calls/import?file_name=' + encodeURIComponent(file.name) + '&import_id=' + id);
    xhr.setRequestHeader('Content-Type', 'text/csv');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (e) => {
      const total = e.lengthComputable ? e.total : file.size;
      setBar('bytes-bar', total > 0 ? e.loaded / total : 1,
        e.loaded.toLocaleString('en-US') + ' of ' + total.toLocaleString('en-US') + ' bytes');
    });
    let polling = true;
    const poll = async () => {
      if (!polling) return;
      try {
        const response = await fetch('/calls/imports/' + id, { headers: { accept: 'application/json' } });
        if (response.ok && polling) showRows(await response.json(), file.size);
      } catch {}
      if (polling) setTimeout(poll, 250);
    };
    setTimeout(poll, 250);
    const done = () => { polling = false; button.disabled = false; refreshList(); };
    xhr.addEventListener('load', () => {
      done();
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch {}
      if (xhr.status === 200) {
        setBar('bytes-bar', 1, file.size.toLocaleString('en-US') + ' of ' + file.size.toLocaleString('en-US') + ' bytes');
        showRows(body, file.size);
        showResult(body);
      } else {
        showRefusal(xhr.status, body);
      }
    });
    xhr.addEventListener('error', () => { done(); showRefusal('network', { detail: 'the connection broke off' }); });
    xhr.send(file);
  });
})()`;
