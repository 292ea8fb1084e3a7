import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import Router from '@koa/router';
import { HttpError } from './http-error';
import { html, renderPage } from '../pages/layout';
import { singleQuery } from './params';
import type { SessionCheck, Sessions } from './session';

export const SESSION_COOKIE = 'callsync_session';
const LEGACY_TOKEN_COOKIE = 'callsync_token';
export const SESSION_TTL_MS = 12 * 3_600_000;

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

function refuse(ctx: Koa.Context, detail: string, error?: string): never {
  ctx.set('WWW-Authenticate', `Bearer realm="call-sync"${error ? `, error="${error}"` : ''}`);
  throw new HttpError(401, 'unauthorized', detail);
}

const SESSION_REFUSALS: Record<Exclude<SessionCheck, { ok: true }>['reason'], string> = {
  malformed: 'the sign-in session is not valid; sign in again at /login',
  bad_signature: 'the sign-in session is not valid; sign in again at /login',
  expired: 'the sign-in session has expired; sign in again at /login',
  revoked: 'the token this session was opened with is no longer accepted; sign in again at /login',
};

/**
 * Every route mounted after this needs `Authorization: Bearer <token>`, or the session cookie
 * that `/login` sets so a browser can open the pages. (`/healthz`, `/readyz` and `/metrics` are
 * answered by the platform before this runs.)
 */
export function requireToken(tokens: readonly string[], sessions: Sessions): Koa.Middleware {
  const matches = tokenMatcher(tokens);
  return async (ctx, next) => {
    if (PUBLIC_PATHS.has(ctx.path)) return next();
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'))?.[1];
    if (bearer !== undefined) {
      if (!matches(bearer)) refuse(ctx, 'the token is not valid', 'invalid_token');
      return next();
    }
    const session = ctx.cookies.get(SESSION_COOKIE);
    if (!session) refuse(ctx, 'this endpoint needs Authorization: Bearer <token>, or sign in at /login');
    const check = sessions.check(session);
    if (!check.ok) refuse(ctx, SESSION_REFUSALS[check.reason], 'invalid_token');
    await next();
  };
}

/** Only same-site paths: `next=//evil.example` or an absolute URL would be an open redirect. */
function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])/.test(next) ? next : '/candidates';
}

function setCookie(ctx: Koa.Context, name: string, value: string, maxAge: number): void {
  // ctx.secure follows X-Forwarded-Proto (the app trusts its ingress), so the cookie is Secure
  // whenever the browser reached us over TLS.
  ctx.cookies.set(name, value, {
    httpOnly: true,
    sameSite: 'strict',
    secure: ctx.secure,
    path: '/',
    maxAge,
    overwrite: true,
  });
}

/**
 * `/login`: a browser posts a token with the form and gets a signed session in an HttpOnly,
 * SameSite=Strict cookie (Secure behind TLS) that expires. The token never goes into a URL —
 * ingress logs and browser history keep those — so `GET /login?token=` is refused.
 */
export function loginRoutes(tokens: readonly string[], sessions: Sessions): Router {
  const matches = tokenMatcher(tokens);
  const router = new Router();
  router.get('/login', (ctx) => {
    if (ctx.query.token !== undefined) {
      throw new HttpError(
        400,
        'token_in_url',
        'a token in a URL is kept by proxies and browser history: sign in with the form at /login instead',
      );
    }
    const next = singleQuery(ctx, 'next');
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
    const token = typeof body.token === 'string' ? body.token : undefined;
    if (!token || !matches(token)) throw new HttpError(401, 'unauthorized', 'the token is not valid');
    setCookie(ctx, SESSION_COOKIE, sessions.issue(token), SESSION_TTL_MS);
    // Browsers of the earlier sign-in still hold the raw token in this cookie: drop it.
    setCookie(ctx, LEGACY_TOKEN_COOKIE, '', 0);
    ctx.status = 303;
    ctx.redirect(safeNext(typeof body.next === 'string' ? body.next : undefined));
  });
  router.post('/logout', (ctx) => {
    setCookie(ctx, SESSION_COOKIE, '', 0);
    setCookie(ctx, LEGACY_TOKEN_COOKIE, '', 0);
    ctx.status = 204;
  });
  return router;
}
