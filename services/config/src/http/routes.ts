import type Koa from 'koa';
import type Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Logger } from '@call-sync/platform';
import type { ApiToken } from '../api-tokens';
import {
  loginRoutes,
  requireToken,
  sameOriginForStateChanges,
  securityHeaders,
  SESSION_TTL_MS,
} from './auth';
import { assertEveryRouteGuarded } from './access';
import { auditDenials } from './audit';
import type { AuditRepository } from '../data-access/audit-repository';
import type { SessionsRepository } from '../data-access/sessions-repository';
import type { SignInFailuresRepository } from '../data-access/sign-in-failures-repository';
import { createSessions, sessionSecret } from './session';
import { createSignInThrottle, type SignInLimits } from './sign-in-throttle';
import { forwardedByTrustedProxies, type TrustedProxies } from './trusted-proxies';
import { errorHandler } from './http-error';
import { plainQueryNames } from './params';

/** Paths whose body is read as a stream by their own route (the call-export upload). */
const STREAMED_PATHS = new Set(['/calls/import']);

/** Limits of the bodies the parser reads; the streamed upload has its own (IMPORT_MAX_BYTES). */
const BODY_LIMITS = { jsonLimit: '64kb', formLimit: '16kb' } as const;

/** The settings of the front door: who may speak for the client, how sessions and guesses end. */
export interface FrontDoor {
  trustedProxies: TrustedProxies;
  sessionIdleMs: number;
  signInLimits: SignInLimits;
  /** Where sessions live and wrong tokens are counted, shared by every replica. */
  sessions: SessionsRepository;
  signInFailures: SignInFailuresRepository;
}

/**
 * The order matters: the client's address and protocol are settled first (from a trusted proxy's
 * headers or the socket), then security headers and the error handler wrap everything, then the
 * record of refused requests, which sees every 401, 403 and 429 below it; the token check runs
 * before any body is read (so a stranger cannot make the service parse anything), then the origin
 * check of cookie requests, the body parser (small limits, never on a streamed upload), and the
 * routes, each of which names the role it needs.
 */
export function mountRoutes(
  app: Koa,
  options: {
    logger: Logger;
    apiTokens: readonly ApiToken[];
    /** SESSION_SECRET; unset, a random one of this process (sessions end with it). */
    sessionSecret: string | undefined;
    routers: Router[];
    /** Where refused requests (401, 403, 429) are recorded. */
    audit: AuditRepository;
    frontDoor: FrontDoor;
  },
): void {
  assertEveryRouteGuarded(options.routers);
  const legacy = options.apiTokens.filter((entry) => entry.legacy).map((entry) => entry.name);
  if (legacy.length > 0) {
    options.logger.warn(
      { tokens: legacy },
      'API_TOKENS holds bare tokens, each taken as an operator: write them as name:role:token ' +
        '(roles organiser, operator) so the audit names who acted and organisers cannot reset or import',
    );
  }
  const { frontDoor } = options;
  const sessions = createSessions({
    secret: sessionSecret(options.sessionSecret, options.logger),
    tokens: options.apiTokens,
    ttlMs: SESSION_TTL_MS,
    idleMs: frontDoor.sessionIdleMs,
    store: frontDoor.sessions,
  });
  const throttle = createSignInThrottle(frontDoor.signInFailures, frontDoor.signInLimits);
  options.logger.info(
    { trustedProxies: frontDoor.trustedProxies.ranges },
    'X-Forwarded-For, -Proto and -Host are believed from these peers only (TRUSTED_PROXIES)',
  );
  app.use(forwardedByTrustedProxies(frontDoor.trustedProxies));
  app.use(securityHeaders());
  app.use(errorHandler(options.logger));
  app.use(auditDenials(options.audit, options.logger));
  app.use(requireToken(options.apiTokens, sessions, throttle));
  app.use(sameOriginForStateChanges());
  app.use(plainQueryNames());
  const parseBody = bodyParser({ enableTypes: ['json', 'form'], ...BODY_LIMITS });
  app.use((ctx, next) => (STREAMED_PATHS.has(ctx.path) ? next() : parseBody(ctx, next)));
  app.use(loginRoutes(options.apiTokens, sessions, throttle).routes());
  for (const router of options.routers) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
}
