import type Koa from 'koa';
import { formatEasternDate, formatEasternTime } from '@call-sync/core';
import type { AuditRepository, NewAuditEntry } from '../data-access/audit-repository';
import { principalOf } from './access';

// What an operator action leaves in the audit, for the routes that act. They record entries but do
// not read them back, so this stays apart from the /audit routes and their page.

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
