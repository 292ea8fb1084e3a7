import Router from '@koa/router';
import { windowForDay, windowForRun, type TimeWindow } from '@call-sync/core';
import type { CandidateConfiguration, Configuration } from '@call-sync/integrations';
import { RESET_SCOPES_IN_VAN, type OperatorCalls, type ResetScope } from '@call-sync/store';
import type { ConfigCache } from '../config-cache';
import { renderCandidatesPage } from '../pages/candidates-page';
import { HttpError } from './http-error';
import { isApiKeyLoaded } from '../unloaded-api-key';
import { respond } from './negotiation';
import { candidateParam } from './params';
import { mayAccessCandidate, principalOf } from './access';
import { operations } from './api/operations';
import { isSet } from './api/fields';
import { serve } from './serve-operation';
import type { Principal } from '../api-tokens';
import type { AuditRepository } from '../data-access/audit-repository';
import { describeWindow, recordAudit } from './audit-entries';

/** What the API says about a candidate: everything but the API key, which only says whether it is set. */
function describeCandidate({ candidate, errors, rows }: CandidateConfiguration) {
  return {
    slug: candidate.slug,
    referenceName: candidate.referenceName,
    strategy: candidate.strategy,
    system: candidate.system,
    district: candidate.district,
    syncHourEastern: candidate.syncHourEastern,
    active: candidate.active,
    serviceNames: candidate.serviceNames,
    tagIds: candidate.tagIds,
    sendReportTo: candidate.sendReportTo ?? null,
    hasApiKey: candidate.apiKey !== undefined,
    /** False after a start-up from the Mongo copy (which holds no keys) until Airtable answers. */
    apiKeyLoaded: isApiKeyLoaded(candidate.apiKey),
    resultRows: rows.length,
    configurationErrors: errors,
  };
}

/** The configuration as `principal` may see it: an organiser limited to candidates sees only theirs. */
function describeConfiguration(configuration: Configuration, cache: ConfigCache, principal: Principal) {
  const status = cache.status();
  const visible = (slug: string | undefined) => slug === undefined || mayAccessCandidate(principal, slug);
  return {
    candidates: [...configuration.candidates.values()]
      .filter(({ candidate }) => visible(candidate.slug))
      .map(describeCandidate)
      .sort((a, b) => a.slug.localeCompare(b.slug)),
    /** Errors of the listing and term-code tables (a listing row with an error is left out). */
    configurationErrors: principal.candidates
      ? configuration.errors.filter((error) => error.slug !== undefined && visible(error.slug))
      : configuration.errors,
    source: status.source,
    loadedAt: status.loadedAt ?? null,
    lastRefreshAt: status.lastRefreshAt ?? null,
    lastRefreshError: status.lastRefreshError ?? null,
  };
}

const windowJson = (window: TimeWindow) => ({
  start: window.start.toISOString(),
  end: window.end.toISOString(),
});

export function candidatesRoutes(deps: {
  cache: ConfigCache;
  calls: OperatorCalls;
  audit: AuditRepository;
}): Router {
  const { cache, calls, audit } = deps;
  const router = new Router();

  serve(router, operations.candidates, async (ctx) => {
    const answer = describeConfiguration(await cache.current(), cache, principalOf(ctx));
    respond(ctx, answer, () => renderCandidatesPage(ctx, answer));
  });

  serve(router, operations.refresh, async (ctx) => {
    let configuration: Configuration;
    try {
      configuration = await cache.refresh();
    } catch {
      await recordAudit(ctx, audit, {
        action: 'config_refresh',
        outcome: 'failed',
        summary: `Airtable could not be read: ${cache.status().lastRefreshError ?? 'unknown error'}`,
        details: { error: cache.status().lastRefreshError ?? null },
      });
      throw new HttpError(
        503,
        'airtable_unavailable',
        `Airtable could not be read (${cache.status().lastRefreshError ?? 'unknown error'}); ` +
          'the last good configuration is still in service',
        { source: cache.status().source, loadedAt: cache.status().loadedAt ?? null },
      );
    }
    await recordAudit(ctx, audit, {
      action: 'config_refresh',
      outcome: 'done',
      summary: `configuration read from Airtable: ${configuration.candidates.size} candidates, ${configuration.errors.length} errors`,
      details: { candidates: configuration.candidates.size, errors: configuration.errors.length },
    });
    ctx.body = describeConfiguration(configuration, cache, principalOf(ctx));
  });

  // Returns a window's calls to unsynced so the next run takes them again. Without confirm=true
  // it only counts: resetting finished calls re-posts them, which is worth a second look.
  serve(router, operations.reset, async (ctx, { params, query }) => {
    const { candidate } = await candidateParam(ctx, cache, params.candidate);
    const { scope } = query;
    const window = query.window
      ? windowForDay(query.window)
      : windowForRun(new Date(), candidate.syncHourEastern);
    const confirm = isSet(query.confirm);
    const base = { candidate: candidate.slug, scope, window: windowJson(window) };
    if (!confirm) {
      const [count, inVan] = await Promise.all([
        calls.countResettable(candidate.district, window, scope),
        calls.countResettableInVan(candidate.district, window, scope),
      ]);
      // VAN has no idempotency key: whatever it already holds would be posted a second time.
      ctx.body = {
        ...base,
        confirmed: false,
        wouldReset: count,
        alreadyInVan: inVan,
        detail: resetWarning(scope, count),
      };
      return;
    }
    if (RESET_SCOPES_IN_VAN.includes(scope))
      await requireRepeatedCount(calls, candidate.district, window, scope, query.expected);
    const reset = await calls.reset(candidate.district, window, scope);
    await recordAudit(ctx, audit, {
      action: 'reset',
      candidate: candidate.slug,
      outcome: 'done',
      summary: `${reset} calls (${scope}) of the window ${describeWindow(window)} returned to unsynced`,
      details: { scope, reset, window: windowJson(window) },
    });
    ctx.body = { ...base, confirmed: true, reset };
  });

  return router;
}

/**
 * What a reset's count answers in words. VAN has no idempotency key and keeps every contact it is
 * sent: a call it holds, posted again, is a second contact record on that voter for good.
 */
function resetWarning(scope: ResetScope, count: number): string {
  const repeat = `To reset them, repeat with confirm=true&expected=${count}.`;
  if (scope === 'van-accepted')
    return (
      `${count} calls that VAN accepted (or a person confirmed in VAN) would return to unsynced, and the next ` +
      `run posts them again: each of these ${count} voters will get a second contact record in VAN, which ` +
      `cannot be undone from here. ${repeat}`
    );
  if (scope === 'outcome-unknown')
    return (
      `${count} calls whose outcome is unknown would return to unsynced. VAN may already hold every one of ` +
      `them, and the next run posts them again: settle them one by one on the worklist (/outcome-unknown) ` +
      `instead, where a call VAN holds is never posted twice. ${repeat}`
    );
  return (
    `${count} calls would return to unsynced. Calls VAN accepted and calls whose outcome is unknown are ` +
    `never part of this scope (scopes van-accepted and outcome-unknown name them). Repeat with confirm=true ` +
    `to reset them.`
  );
}

/**
 * A reset of calls VAN holds or may hold must name how many it expects (the count the first call
 * answered), so a person who read one number cannot reset a different set.
 */
async function requireRepeatedCount(
  calls: OperatorCalls,
  district: string,
  window: TimeWindow,
  scope: ResetScope,
  expected: string | undefined,
): Promise<void> {
  const count = await calls.countResettable(district, window, scope);
  const what = scope === 'van-accepted' ? 'calls VAN accepted' : 'calls whose outcome is unknown';
  if (expected === undefined) {
    throw new HttpError(
      400,
      'bad_parameter',
      `resetting ${what} needs expected=<count>: ask without confirm first (now ${count})`,
    );
  }
  if (Number(expected) !== count) {
    throw new HttpError(
      409,
      'count_changed',
      `expected ${expected} ${what}, there are ${count}: check again before resetting`,
    );
  }
}
