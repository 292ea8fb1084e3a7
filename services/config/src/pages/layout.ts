import type Koa from 'koa';

// Server-rendered pages: every value goes through `escapeHtml`, and the only script and style
// are inline with a per-response nonce that the Content-Security-Policy allows.

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** Markup that is already safe (built from escaped parts), so `html` does not escape it twice. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** A tagged template that escapes every interpolated value unless it is SafeHtml (or a list of it). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += renderValue(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

function renderValue(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(renderValue).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(value);
}

const STYLE = `
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f5f7fa; --ok:#127b4a; --ok-bg:#e3f9e5;
  --bad:#b42318; --bad-bg:#fde8e8; --warn:#8d5b00; --warn-bg:#fff4d6; --accent:#2457c5; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:var(--bg); }
header { background:#102a43; color:#fff; padding:12px 28px; display:flex; gap:24px; align-items:center; }
header a { color:#d9e2ec; text-decoration:none; } header a:hover { color:#fff; }
header .brand { font-weight:700; color:#fff; margin-right:12px; }
main { max-width:1100px; margin:24px auto; padding:0 24px; }
h1 { font-size:26px; margin:8px 0 4px; } h2 { font-size:19px; margin:28px 0 8px; }
.sub { color:var(--muted); margin:0 0 16px; }
.card { background:#fff; border:1px solid var(--line); border-radius:10px; padding:18px 22px; margin:16px 0; }
table { width:100%; border-collapse:collapse; background:#fff; border:1px solid var(--line); border-radius:10px; overflow:hidden; }
th, td { text-align:left; padding:9px 12px; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#f0f4f8; font-size:13px; text-transform:uppercase; letter-spacing:.03em; color:var(--muted); }
tr:last-child td { border-bottom:none; }
code, .id { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-size:13.5px; background:#f0f4f8; padding:2px 6px; border-radius:5px; }
button.copy { font:12px system-ui,sans-serif; border:1px solid var(--line); background:#fff; border-radius:5px; padding:2px 8px; margin-left:6px; cursor:pointer; color:var(--accent); }
button.copy:hover { background:#eef2ff; } button.copy.done { color:var(--ok); border-color:var(--ok); }
.banner { border-radius:10px; padding:18px 22px; font-size:22px; font-weight:700; margin:16px 0; }
.banner.ok { background:var(--ok-bg); color:var(--ok); border:1px solid #a3e4b5; }
.banner.bad { background:var(--bad-bg); color:var(--bad); border:1px solid #f5b5b5; }
.pill { display:inline-block; border-radius:999px; padding:1px 10px; font-size:12.5px; font-weight:600; }
.pill.ok { background:var(--ok-bg); color:var(--ok); } .pill.bad { background:var(--bad-bg); color:var(--bad); }
.pill.warn { background:var(--warn-bg); color:var(--warn); } .pill.muted { background:#eef2f6; color:var(--muted); }
ul.checks { list-style:none; margin:0; padding:0; } ul.checks li { margin:2px 0; }
ul.checks li::before { display:inline-block; width:1.3em; font-weight:700; }
ul.checks li.ok::before { content:"✓"; color:var(--ok); } ul.checks li.bad::before { content:"✗"; color:var(--bad); }
ul.checks li.warn::before { content:"!"; color:var(--warn); } ul.checks li.bad { color:var(--bad); } ul.checks li.warn { color:var(--warn); }
.progress { background:#e4e7eb; border-radius:999px; height:12px; overflow:hidden; min-width:160px; display:flex; }
.progress span { display:block; height:100%; }
.finished { background:#2f9e64; } .queued_for_csv { background:#5b8def; } .ignored { background:#9aa5b1; }
.attempted_error { background:#d64545; } .unattempted_error { background:#e8833a; } .in_progress { background:#f0b429; }
.legend span { margin-right:14px; font-size:13px; color:var(--muted); } .legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; }
ol.steps li { margin:6px 0; }
.grid { display:grid; grid-template-columns:repeat(auto-fit,minmax(300px,1fr)); gap:16px; }
.muted { color:var(--muted); } .small { font-size:13px; }
form.inline { display:inline; } input[type=password] { padding:8px; border:1px solid var(--line); border-radius:6px; width:320px; }
button.primary { background:var(--accent); color:#fff; border:0; border-radius:6px; padding:8px 16px; cursor:pointer; }
`;

const COPY_SCRIPT = `
document.addEventListener('click', async (event) => {
  const button = event.target.closest('button.copy');
  if (!button) return;
  const text = button.dataset.copy;
  try { await navigator.clipboard.writeText(text); }
  catch { const area = document.createElement('textarea'); area.value = text; document.body.appendChild(area);
    area.select(); document.execCommand('copy'); area.remove(); }
  button.textContent = 'copied'; button.classList.add('done');
  setTimeout(() => { button.textContent = 'copy'; button.classList.remove('done'); }, 1200);
});`;

function nonceOf(ctx: Koa.Context): string {
  return String(ctx.state.cspNonce ?? '');
}

export interface PageOptions {
  title: string;
  body: SafeHtml;
  /** Pages with copy buttons carry the small clipboard script. */
  withCopyScript?: boolean;
  /** Seconds after which the browser reloads (the runs page, while runs are live). */
  refreshSeconds?: number;
  /** The page's own script (constant text, never built from values), run with the nonce. */
  script?: string;
}

/** The audit page is an operator's: an organiser's pages do not link to a 403. */
function isOperator(ctx: Koa.Context): boolean {
  return (ctx.state.principal as { role?: string } | undefined)?.role === 'operator';
}

export function renderPage(ctx: Koa.Context, options: PageOptions): string {
  const nonce = nonceOf(ctx);
  const page = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        ${options.refreshSeconds ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}" />` : ''}
        <title>${options.title} · call-sync</title>
        <style nonce="${nonce}">
          ${new SafeHtml(STYLE)}
        </style>
      </head>
      <body>
        <header>
          <span class="brand">call-sync</span><a href="/candidates">Candidates</a><a href="/runs">Runs</a
          ><a href="/outcome-unknown">Outcome unknown</a
          ><a href="/calls/search">Find a call</a
          >${isOperator(ctx) ? html`<a href="/calls/imports">Import</a><a href="/audit">Audit</a>` : ''}
        </header>
        <main>${options.body}</main>
        ${
          options.script
            ? html`<script nonce="${nonce}">
                ${new SafeHtml(options.script)};
              </script>`
            : ''
        }
        ${
          options.withCopyScript
            ? html`<script nonce="${nonce}">
                ${new SafeHtml(COPY_SCRIPT)};
              </script>`
            : ''
        }
      </body>
    </html>`;
  return page.value;
}

export function copyButton(text: string): SafeHtml {
  return html`<button class="copy" type="button" data-copy="${text}" title="Copy ${text}">copy</button>`;
}
