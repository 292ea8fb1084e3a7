import type Koa from 'koa';

/**
 * Browsers get pages, API clients JSON. `?format=json|html` overrides the Accept header, which is
 * handy for a link that should show JSON.
 */
export function wantsHtml(ctx: Koa.Context): boolean {
  const format = ctx.query.format;
  if (format === 'json') return false;
  if (format === 'html') return true;
  return ctx.accepts('json', 'html') === 'html';
}

/** Answers JSON or the page that shows the same data. */
export function respond(ctx: Koa.Context, json: unknown, page: () => string): void {
  if (wantsHtml(ctx)) {
    ctx.type = 'html';
    ctx.body = page();
  } else {
    ctx.body = json;
  }
}
