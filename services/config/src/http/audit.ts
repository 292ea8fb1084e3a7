import Router from '@koa/router';
import type Koa from 'koa';
import { formatEasternDate, formatEasternTime } from '@call-sync/core';
import type { AuditRepository, NewAuditEntry } from '../data-access/audit-repository';
import { renderAuditPage } from '../pages/audit-page';
import { assertCandidateAllowed, principalOf } from './access';
import { respond } from './negotiation';
import { operations } from './api/operations';
import { serve } from './serve-operation';

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
  serve(router, operations.audit, async (ctx: Koa.Context, { query }) => {
    const { candidate, limit } = query;
    if (candidate !== undefined) assertCandidateAllowed(ctx, candidate);
    const entries = await deps.audit.list({ limit, ...(candidate ? { candidate } : {}) });
    const answer = { entries: entries.map(({ _id, ...entry }) => ({ id: _id, ...entry })) };
    respond(ctx, answer, () => renderAuditPage(ctx, answer.entries, { candidate }));
  });
  return router;
}
