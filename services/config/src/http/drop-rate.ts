import Router from '@koa/router';
import type Koa from 'koa';
import { addDays, easternDayOf, windowForDay, type EasternDay } from '@call-sync/core';
import type { OperatorCalls } from '@call-sync/store';
import { HttpError } from './http-error';
import { principalOf } from './access';
import { DROP_RATE_USAGE, operations } from './api/operations';
import { serve } from './serve-operation';
import type { ConfigCache } from '../config-cache';

function badParameter(detail: string): HttpError {
  return new HttpError(400, 'bad_parameter', detail, { usage: DROP_RATE_USAGE });
}

/** `MM-DD` in the current Eastern year, or last year's when that day has not come yet. */
function resolveStartDay(monthDay: string, today: EasternDay): EasternDay {
  const match = /^(\d{2})-(\d{2})$/.exec(monthDay);
  if (!match) throw badParameter(`start_day must be MM-DD, got "${monthDay}"`);
  const year = Number(today.slice(0, 4));
  const candidate = `${year}-${match[1]}-${match[2]}`;
  const valid = (day: string) => {
    const date = new Date(`${day}T12:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day;
  };
  if (!valid(candidate) && !valid(`${year - 1}-${match[1]}-${match[2]}`)) {
    throw badParameter(`start_day "${monthDay}" is not a calendar day`);
  }
  // 02-29 exists only in leap years: take the latest year that has it and is not in the future.
  for (let back = 0; back <= 8; back += 1) {
    const day = `${year - back}-${match[1]}-${match[2]}`;
    if (valid(day) && day <= today) return day;
  }
  throw badParameter(`start_day "${monthDay}" is not a calendar day`);
}

const rate = (drops: number, contacts: number): number | 'N/A' =>
  contacts === 0 ? 'N/A' : Number((drops / (drops + contacts)).toFixed(4));

/** An organiser limited to candidates sees the drop rate of their candidates' dialer services only. */
async function assertServiceAllowed(
  ctx: Koa.Context,
  cache: ConfigCache,
  serviceName: string,
): Promise<void> {
  const principal = principalOf(ctx);
  if (!principal.candidates) return;
  const configuration = await cache.current();
  const theirs = principal.candidates.flatMap(
    (slug) => configuration.candidates.get(slug)?.candidate.serviceNames ?? [],
  );
  if (!theirs.includes(serviceName)) {
    throw new HttpError(
      403,
      'candidate_not_allowed',
      `the token "${principal.name}" is limited to ${principal.candidates.join(', ')}, whose services are ` +
        `${theirs.join(', ') || '(none)'}; "${serviceName}" is not among them`,
    );
  }
}

export function dropRateRoutes(deps: { calls: OperatorCalls; cache: ConfigCache }): Router {
  const router = new Router();
  serve(router, operations.dropRate, async (ctx: Koa.Context, { query }) => {
    const { start_day: startText, count, service_name: serviceName } = query;
    await assertServiceAllowed(ctx, deps.cache, serviceName);
    const start = resolveStartDay(startText, easternDayOf(new Date()));
    const days: EasternDay[] = Array.from({ length: count }, (_, i) => addDays(start, i));
    const perDay = await Promise.all(
      days.map(async (day) => {
        const { drops, contacts } = await deps.calls.countDropsAndContacts(serviceName, windowForDay(day));
        return { day, drops, contacts, dropRate: rate(drops, contacts) };
      }),
    );
    const drops = perDay.reduce((sum, day) => sum + day.drops, 0);
    const contacts = perDay.reduce((sum, day) => sum + day.contacts, 0);
    ctx.body = {
      serviceName,
      startDay: start,
      days: perDay,
      total: { drops, contacts, dropRate: rate(drops, contacts) },
    };
  });
  return router;
}
