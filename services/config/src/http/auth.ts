import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import Router from '@koa/router';
import { HttpError } from './http-error';
import { html, renderPage } from '../pages/layout';
import { operations } from './api/operations';
import { serve } from './serve-operation';
import type { ApiToken } from '../api-tokens';
import { principalOf, type SessionCheck, type Sessions } from './session';
import type { SignInThrottle } from './sign-in-throttle';

const SESSION_COOKIE = 'callsync_session';
const LEGACY_TOKEN_COOKIE = 'callsync_token';
export const SESSION_TTL_MS = 12 * 3_600_000;

// Tokens are compared as SHA-256 digests with timingSafeEqual, against every token without an
// early exit, so neither the length nor the first differing byte of a guess shows in the timing.
function tokenMatcher(tokens: readonly ApiToken[]): (candidate: string) => ApiToken | undefined {
  const digests = tokens.map((entry) => ({
    entry,
    digest: createHash('sha256').update(entry.token).digest(),
  }));
  return (candidate) => {
    const digest = createHash('sha256').update(candidate).digest();
    let matched: ApiToken | undefined;
    for (const known of digests) if (timingSafeEqual(known.digest, digest)) matched = known.entry;
    return matched;
  };
}

/** Per-response nonce for the pages' inline style and script, and headers every answer carries. */
export function securityHeaders(): Koa.Middleware {
  return async (ctx, next) => {
    const nonce = randomBytes(16).toString('base64');
    ctx.state.cspNonce = nonce;
    ctx.set('X-Content-Type-Options', 'nosniff');
    // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with the
    // service's own form posts, and the origin check below could not tell them from another site's.
    ctx.set('Referrer-Policy', 'same-origin');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Cache-Control', 'no-store');
    // Over TLS (a trusted proxy says so in X-Forwarded-Proto), browsers are told to keep to it;
    // over plain HTTP the header would mean nothing and is left out, as the standard asks.
    if (ctx.secure) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    ctx.set(
      'Content-Security-Policy',
      // Style attributes carry only computed widths (progress bars); scripts and style
      // blocks need the nonce; scripts may call this service only (the import page's upload).
      `default-src 'none'; style-src 'nonce-${nonce}'; style-src-attr 'unsafe-inline'; script-src 'nonce-${nonce}'; ` +
        "connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    await next();
  };
}

/** Reachable without a token: signing in, and signing out (which ends the cookie's session). */
const PUBLIC_PATHS = new Set(['/login', '/logout']);

function refuse(ctx: Koa.Context, detail: string, error?: string): never {
  ctx.set('WWW-Authenticate', `Bearer realm="call-sync"${error ? `, error="${error}"` : ''}`);
  throw new HttpError(401, 'unauthorized', detail);
}

const SESSION_REFUSALS: Record<Exclude<SessionCheck, { ok: true }>['reason'], string> = {
  malformed: 'the sign-in session is not valid; sign in again at /login',
  bad_signature: 'the sign-in session is not valid; sign in again at /login',
  expired: 'the sign-in session has expired; sign in again at /login',
  revoked: 'the token this session was opened with is no longer accepted; sign in again at /login',
  ended: 'the sign-in session has ended (signed out, or unused for too long); sign in again at /login',
};

/**
 * Every route mounted after this needs `Authorization: Bearer <token>`, or the session cookie
 * that `/login` sets so a browser can open the pages; the token's entry (name, role, candidates —
 * never the token) becomes `ctx.state.principal`. (`/healthz`, `/readyz` and `/metrics` are
 * answered by the platform before this runs.) A bearer token is a guess like a sign-in: counted
 * when wrong, and not checked at all from a client the throttle holds back.
 */
export function requireToken(
  tokens: readonly ApiToken[],
  sessions: Sessions,
  throttle: SignInThrottle,
): Koa.Middleware {
  const match = tokenMatcher(tokens);
  return async (ctx, next) => {
    if (PUBLIC_PATHS.has(ctx.path)) return next();
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'))?.[1];
    if (bearer !== undefined) {
      await throttle.admit(ctx);
      const entry = match(bearer);
      if (!entry) {
        await throttle.failed(ctx);
        refuse(ctx, 'the token is not valid', 'invalid_token');
      }
      ctx.state.principal = principalOf(entry);
      ctx.state.authenticatedBy = 'bearer';
      return next();
    }
    const session = ctx.cookies.get(SESSION_COOKIE);
    if (!session) refuse(ctx, 'this endpoint needs Authorization: Bearer <token>, or sign in at /login');
    const check = await sessions.check(session);
    if (!check.ok) refuse(ctx, SESSION_REFUSALS[check.reason], 'invalid_token');
    ctx.state.principal = check.principal;
    ctx.state.authenticatedBy = 'session';
    await next();
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * A state-changing request a browser makes with the session cookie must come from the service's
 * own pages: its Origin (or, without one, its Referer) must be this origin. The cookie is
 * SameSite=Strict already; this also covers sibling subdomains and browsers that ignore SameSite.
 * Bearer requests carry no ambient credential, so a site cannot forge them and they pass.
 */
export function sameOriginForStateChanges(): Koa.Middleware {
  return async (ctx, next) => {
    if (SAFE_METHODS.has(ctx.method) || ctx.state.authenticatedBy === 'bearer') return next();
    const origin = ctx.get('origin');
    const referer = ctx.get('referer');
    const claimed = origin
      ? origin === 'null'
        ? 'null'
        : originOf(origin)
      : referer
        ? originOf(referer)
        : undefined;
    // A sign-in without Origin or Referer comes from a script (curl), not from another site's page.
    if (claimed === undefined && !ctx.state.authenticatedBy) return next();
    // Built from protocol and host: koa's ctx.origin can echo the request's own Origin header.
    const own = `${ctx.protocol}://${ctx.host}`;
    if (claimed !== own) {
      throw new HttpError(
        403,
        'cross_origin',
        `a ${ctx.method} with the session cookie must come from this service's own pages (${own}), ` +
          `not from ${claimed ?? 'an unnamed origin'}; API clients send Authorization: Bearer instead`,
      );
    }
    await next();
  };
}

/** Only same-site paths: `next=//evil.example` or an absolute URL would be an open redirect. */
function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])/.test(next) ? next : '/candidates';
}

function setCookie(ctx: Koa.Context, name: string, value: string, maxAge: number): void {
  // ctx.secure follows X-Forwarded-Proto from a trusted proxy (trusted-proxies.ts), so the cookie
  // is Secure whenever the browser reached the ingress over TLS.
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
 * ingress logs and browser history keep those — so `GET /login?token=` is refused. A client with
 * too many wrong tokens gets a 429 (the throttle), whatever it posts; a right token starts its
 * count again.
 */
export function loginRoutes(
  tokens: readonly ApiToken[],
  sessions: Sessions,
  throttle: SignInThrottle,
): Router {
  const match = tokenMatcher(tokens);
  const router = new Router();
  serve(router, operations.loginForm, (ctx, { query }) => {
    if (ctx.query.token !== undefined) {
      throw new HttpError(
        400,
        'token_in_url',
        'a token in a URL is kept by proxies and browser history: sign in with the form at /login instead',
      );
    }
    const { next } = query;
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
  serve(router, operations.login, async (ctx, { body }) => {
    await throttle.admit(ctx);
    const token = typeof body?.token === 'string' ? body.token : undefined;
    const entry = token ? match(token) : undefined;
    if (!entry) {
      await throttle.failed(ctx);
      throw new HttpError(401, 'unauthorized', 'the token is not valid');
    }
    await throttle.signedIn(ctx);
    setCookie(ctx, SESSION_COOKIE, await sessions.issue(entry), SESSION_TTL_MS);
    // Browsers of the earlier sign-in still hold the raw token in this cookie: drop it.
    setCookie(ctx, LEGACY_TOKEN_COOKIE, '', 0);
    ctx.status = 303;
    ctx.redirect(safeNext(typeof body?.next === 'string' ? body.next : undefined));
  });
  serve(router, operations.logout, async (ctx) => {
    // Ended on the server, not only forgotten by this browser: a copy of the cookie dies with it.
    const session = ctx.cookies.get(SESSION_COOKIE);
    if (session) await sessions.end(session);
    setCookie(ctx, SESSION_COOKIE, '', 0);
    setCookie(ctx, LEGACY_TOKEN_COOKIE, '', 0);
    ctx.status = 204;
  });
  return router;
}
