import Router from '@koa/router';
import type Koa from 'koa';
import { formatEasternDate, formatEasternTime } from '@call-sync/core';
import type { AuditRepository, NewAuditEntry } from '../data-access/audit-repository';
import { renderAuditPage } from '../pages/audit-page';
import { allow, assertCandidateAllowed, principalOf } from './access';
import { HttpError } from './http-error';
import { respond } from './negotiation';
import { singleQuery } from './params';

/** Stores an operator action under the name of the token that made the request. */
export function recordAudit(
  ctx: Koa.Context,
  audit: AuditRepository,
  entry: Omit<NewAuditEntry, 'actor' | 'role' | 'via'>,
): Promise<unknown> {
  const { name, role } = principalOf(ctx);
  const via = ctx.state.authenticatedBy === 'session' ? 'session' : 'bearer';
  return audit.record({ actor: name, role, via, ...entry });
}

/** A window as a person reads it in the audit: Eastern times. */
export function describeWindow(window: { start: Date; end: Date }): string {
  const eastern = (at: Date) => `${formatEasternDate(at)} ${formatEasternTime(at)}`;
  return `${eastern(window.start)} → ${eastern(window.end)} (Eastern)`;
}

/** Date-free JSON of a window, as the audit details hold it. */
export const windowText = (window: { start: Date; end: Date }) => ({
  start: window.start.toISOString(),
  end: window.end.toISOString(),
});

export function auditRoutes(deps: { audit: AuditRepository }): Router {
  const router = new Router();
  router.get('/audit', allow('operator'), async (ctx: Koa.Context) => {
    const candidate = singleQuery(ctx, 'candidate');
    const limitText = singleQuery(ctx, 'limit') ?? '100';
    if (candidate !== undefined && !/^[a-z0-9][a-z0-9-]{0,79}$/.test(candidate)) {
      throw new HttpError(400, 'bad_parameter', 'candidate must be a slug');
    }
    if (candidate !== undefined) assertCandidateAllowed(ctx, candidate);
    if (!/^\d{1,3}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 500) {
      throw new HttpError(400, 'bad_parameter', 'limit must be a whole number from 1 to 500');
    }
    const entries = await deps.audit.list({ limit: Number(limitText), ...(candidate ? { candidate } : {}) });
    const answer = { entries: entries.map(({ _id, ...entry }) => ({ id: _id, ...entry })) };
    respond(ctx, answer, () => renderAuditPage(ctx, answer.entries, { candidate }));
  });
  return router;
}
