import Router from '@koa/router';
import type Koa from 'koa';
import type { Logger } from '@call-sync/platform';
import type { AuditRepository, NewAuditEntry } from '../data-access/audit-repository';
import { renderAuditPage } from '../pages/audit-page';
import { assertCandidateAllowed } from './access';
import { HttpError } from './http-error';
import { respond } from './negotiation';
import { operations } from './api/operations';
import { serve } from './serve-operation';
import type { Principal } from '../api-tokens';

/** Denials stored per source address and minute; past it they are only counted in the log. */
const DENIALS_PER_SOURCE_PER_MINUTE = 30;

export function auditRoutes(deps: { audit: AuditRepository }): Router {
  const router = new Router();
  serve(router, operations.audit, async (ctx: Koa.Context, { query }) => {
    const { candidate, limit, offset } = query;
    if (candidate !== undefined) assertCandidateAllowed(ctx, candidate);
    // One more than the page: whether an older page exists, without counting the collection.
    const found = await deps.audit.list({ limit: limit + 1, offset, ...(candidate ? { candidate } : {}) });
    const entries = found.slice(0, limit).map(({ _id, ...entry }) => ({ id: _id, ...entry }));
    const next =
      found.length > limit
        ? `/audit?${new URLSearchParams({
            ...(candidate ? { candidate } : {}),
            limit: String(limit),
            offset: String(offset + limit),
          }).toString()}`
        : undefined;
    const answer = { entries, ...(next ? { next } : {}) };
    respond(ctx, answer, () => renderAuditPage(ctx, entries, { candidate, offset, next }));
  });
  return router;
}

/** Refusals worth an entry: no or a wrong token, a role or candidate it lacks, a throttled client. */
const AUDITED_REFUSALS = new Set([401, 403, 429]);

/**
 * Mounted before the token check: every request it or a route refuses with 401, 403 or 429 is
 * stored as a `denied` entry with its source (the client a trusted proxy reports, or the peer; the
 * peer's own address; the user agent), never the token it showed. Each source gets a bounded number of entries a minute, so a
 * stranger hammering the front door cannot bury the operators' actions; a failure to store one
 * never changes the answer.
 */
export function auditDenials(audit: AuditRepository, logger: Logger): Koa.Middleware {
  const recent = new Map<string, { minute: number; count: number }>();
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (error instanceof HttpError && AUDITED_REFUSALS.has(error.status)) {
        const source = {
          ip: ctx.ip,
          peer: ctx.req.socket.remoteAddress,
          userAgent: ctx.get('user-agent').slice(0, 200),
        };
        const minute = Math.floor(Date.now() / 60_000);
        if (recent.size > 10_000) recent.clear();
        const seen = recent.get(source.ip);
        const count = seen && seen.minute === minute ? seen.count + 1 : 1;
        recent.set(source.ip, { minute, count });
        if (count <= DENIALS_PER_SOURCE_PER_MINUTE) {
          const principal = ctx.state.principal as Principal | undefined;
          const entry: NewAuditEntry = {
            ...(principal ? { actor: principal.name, role: principal.role } : {}),
            ...(principal ? { via: ctx.state.authenticatedBy === 'session' ? 'session' : 'bearer' } : {}),
            action: 'denied',
            outcome: 'failed',
            summary: `${error.status} ${error.error}: ${ctx.method} ${ctx.path} from ${source.ip}`,
            details: {
              status: error.status,
              error: error.error,
              method: ctx.method,
              path: ctx.path,
              source,
              // Which limit held a throttled client back: its own, or every client's together.
              ...(error.extra.limit ? { limit: error.extra.limit } : {}),
            },
          };
          await audit.record(entry).catch((failure: unknown) => {
            logger.warn({ err: failure }, 'a refused request could not be stored in the audit');
          });
        } else if (count === DENIALS_PER_SOURCE_PER_MINUTE + 1) {
          logger.warn(
            { source: source.ip },
            'refused requests from one source: the rest of this minute is not audited',
          );
        }
      }
      throw error;
    }
  };
}
