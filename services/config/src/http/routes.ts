import type Koa from 'koa';
import type Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Logger } from '@call-sync/platform';
import { loginRoutes, requireToken, securityHeaders, SESSION_TTL_MS } from './auth';
import { createSessions, sessionSecret } from './session';
import { errorHandler } from './http-error';

/** Paths whose body is read as a stream by their own route (the call-export upload). */
const STREAMED_PATHS = new Set(['/calls/import']);

/**
 * The order matters: security headers and the error handler wrap everything; the body parser
 * (small limits) runs before the routes but never on a streamed upload; `/login` is the one
 * route before the token check.
 */
export function mountRoutes(
  app: Koa,
  options: {
    logger: Logger;
    apiTokens: readonly string[];
    /** SESSION_SECRET; unset, a random one of this process (sessions end with it). */
    sessionSecret: string | undefined;
    routers: Router[];
  },
): void {
  const sessions = createSessions({
    secret: sessionSecret(options.sessionSecret, options.logger),
    tokens: options.apiTokens,
    ttlMs: SESSION_TTL_MS,
  });
  app.use(securityHeaders());
  app.use(errorHandler(options.logger));
  const parseBody = bodyParser({ enableTypes: ['json', 'form'], jsonLimit: '64kb', formLimit: '16kb' });
  app.use((ctx, next) => (STREAMED_PATHS.has(ctx.path) ? next() : parseBody(ctx, next)));
  const login = loginRoutes(options.apiTokens, sessions);
  app.use(login.routes());
  app.use(requireToken(options.apiTokens, sessions));
  for (const router of options.routers) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
}
