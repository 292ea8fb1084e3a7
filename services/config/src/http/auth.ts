import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import Router from '@koa/router';
import { HttpError } from './http-error';
import { html, renderPage } from '../pages/layout';
import { singleQuery } from './params';

export const TOKEN_COOKIE = 'callsync_token';
const COOKIE_MAX_AGE_MS = 12 * 3_600_000;

// Tokens are compared as SHA-256 digests with timingSafeEqual, against every token without an
// early exit, so neither the length nor the first differing byte of a guess shows in the timing.
function tokenMatcher(tokens: readonly string[]): (candidate: string) => boolean {
  const digests = tokens.map((token) => createHash('sha256').update(token).digest());
  return (candidate) => {
    const digest = createHash('sha256').update(candidate).digest();
    let matched = false;
    for (const known of digests) matched = timingSafeEqual(known, digest) || matched;
    return matched;
  };
}

/** Per-response nonce for the pages' inline style and script, and headers every answer carries. */
export function securityHeaders(): Koa.Middleware {
  return async (ctx, next) => {
    const nonce = randomBytes(16).toString('base64');
    ctx.state.cspNonce = nonce;
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Cache-Control', 'no-store');
    ctx.set(
      'Content-Security-Policy',
      // Style attributes carry only computed widths (progress bars); scripts and style
      // blocks need the nonce.
      `default-src 'none'; style-src 'nonce-${nonce}'; style-src-attr 'unsafe-inline'; script-src 'nonce-${nonce}'; ` +
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    await next();
  };
}

const PUBLIC_PATHS = new Set(['/login']);

/**
 * Every route mounted after this needs `Authorization: Bearer <token>`, or the cookie that
 * `/login` sets so a browser can open the pages. (`/healthz`, `/readyz` and `/metrics` are
 * answered by the platform before this runs.)
 */
export function requireToken(tokens: readonly string[]): Koa.Middleware {
  const matches = tokenMatcher(tokens);
  return async (ctx, next) => {
    if (PUBLIC_PATHS.has(ctx.path)) return next();
    const header = ctx.get('authorization');
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    const presented = bearer ?? ctx.cookies.get(TOKEN_COOKIE);
    if (!presented) {
      ctx.set('WWW-Authenticate', 'Bearer realm="call-sync"');
      throw new HttpError(401, 'unauthorized', 'this endpoint needs Authorization: Bearer <token>');
    }
    if (!matches(presented)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="call-sync", error="invalid_token"');
      throw new HttpError(401, 'unauthorized', 'the token is not valid');
    }
    await next();
  };
}

/** Only same-site paths: `next=//evil.example` or an absolute URL would be an open redirect. */
function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])/.test(next) ? next : '/candidates';
}

/**
 * `/login`: a browser trades a token for an HttpOnly, SameSite=Strict cookie (Secure behind
 * TLS). POST (the form) keeps the token out of the address bar; GET `?token=` is accepted for a
 * bookmarked link. Neither echoes the token back.
 */
export function loginRoutes(tokens: readonly string[]): Router {
  const matches = tokenMatcher(tokens);
  const router = new Router();
  const signIn = (ctx: Koa.Context, token: string | undefined, next: string | undefined) => {
    if (!token || !matches(token)) throw new HttpError(401, 'unauthorized', 'the token is not valid');
    ctx.cookies.set(TOKEN_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: ctx.secure,
      path: '/',
      maxAge: COOKIE_MAX_AGE_MS,
      overwrite: true,
    });
    ctx.redirect(safeNext(next));
  };
  router.get('/login', (ctx) => {
    const token = singleQuery(ctx, 'token');
    const next = singleQuery(ctx, 'next');
    if (token !== undefined) return signIn(ctx, token, next);
    ctx.type = 'html';
    ctx.body = renderPage(ctx, {
      title: 'Sign in',
      body: html`<h1>Sign in</h1>
        <div class="card">
          <form method="post" action="/login">
            <input type="hidden" name="next" value="${safeNext(next)}" />
            <p>
              <label
                >API token<br /><input type="password" name="token" autocomplete="current-password" required
              /></label>
            </p>
            <p><button class="primary" type="submit">Sign in</button></p>
          </form>
        </div>`,
    });
  });
  router.post('/login', (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    signIn(
      ctx,
      typeof body.token === 'string' ? body.token : undefined,
      typeof body.next === 'string' ? body.next : undefined,
    );
  });
  router.post('/logout', (ctx) => {
    ctx.cookies.set(TOKEN_COOKIE, '', { httpOnly: true, sameSite: 'strict', path: '/', maxAge: 0 });
    ctx.status = 204;
  });
  return router;
}
