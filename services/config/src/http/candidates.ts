import Router from '@koa/router';
import { windowForRun, type TimeWindow } from '@call-sync/core';
import type { CandidateConfiguration, Configuration } from '@call-sync/integrations';
import type { ConfigCache } from '../config-cache';
import type { CallsRepository, ResetScope } from '../data-access/calls-repository';
import { renderCandidatesPage } from '../pages/candidates-page';
import { HttpError } from './http-error';
import { isApiKeyLoaded } from '../unloaded-api-key';
import { respond } from './negotiation';
import { booleanQuery, candidateParam, singleQuery, windowParam } from './params';

/** What the API says about a candidate: everything but the API key, which only says whether it is set. */
export function describeCandidate({ candidate, errors, rows }: CandidateConfiguration) {
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

export type CandidateSummary = ReturnType<typeof describeCandidate>;

function describeConfiguration(configuration: Configuration, cache: ConfigCache) {
  const status = cache.status();
  return {
    candidates: [...configuration.candidates.values()]
      .map(describeCandidate)
      .sort((a, b) => a.slug.localeCompare(b.slug)),
    /** Errors of the listing and term-code tables (a listing row with an error is left out). */
    configurationErrors: configuration.errors,
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

export function candidatesRoutes(deps: { cache: ConfigCache; calls: CallsRepository }): Router {
  const { cache, calls } = deps;
  const router = new Router();

  router.get('/candidates', async (ctx) => {
    const answer = describeConfiguration(await cache.current(), cache);
    respond(ctx, answer, () => renderCandidatesPage(ctx, answer));
  });

  router.post('/config/refresh', async (ctx) => {
    try {
      const configuration = await cache.refresh();
      ctx.body = describeConfiguration(configuration, cache);
    } catch {
      throw new HttpError(
        503,
        'airtable_unavailable',
        `Airtable could not be read (${cache.status().lastRefreshError ?? 'unknown error'}); ` +
          'the last good configuration is still in service',
        { source: cache.status().source, loadedAt: cache.status().loadedAt ?? null },
      );
    }
  });

  // Returns a window's calls to unsynced so the next run takes them again. Without confirm=true
  // it only counts: resetting finished calls re-posts them, which is worth a second look.
  router.post('/candidates/:candidate/reset', async (ctx) => {
    const { candidate } = await candidateParam(ctx, cache);
    const scopeText = singleQuery(ctx, 'scope') ?? 'errors';
    if (scopeText !== 'all' && scopeText !== 'errors') {
      throw new HttpError(400, 'bad_parameter', 'scope must be "all" or "errors"');
    }
    const scope: ResetScope = scopeText;
    const window = windowParam(ctx) ?? windowForRun(new Date(), candidate.syncHourEastern);
    const confirm = booleanQuery(ctx, 'confirm');
    const base = { candidate: candidate.slug, scope, window: windowJson(window) };
    if (!confirm) {
      const [count, inVan] = await Promise.all([
        calls.countResettable(candidate.district, window, scope),
        calls.countResettableInVan(candidate.district, window, scope),
      ]);
      // VAN has no idempotency key: whatever it already holds would be posted a second time.
      const warning =
        inVan > 0
          ? ` ${inVan} of them are already in VAN, or may be (outcome unknown): the next run posts them again, so check VAN first`
          : '';
      ctx.body = {
        ...base,
        confirmed: false,
        wouldReset: count,
        alreadyInVan: inVan,
        detail: `${count} calls would return to unsynced;${warning}${warning ? '.' : ''} Repeat with confirm=true to reset them.`,
      };
      return;
    }
    const reset = await calls.reset(candidate.district, window, scope);
    ctx.body = { ...base, confirmed: true, reset };
  });

  return router;
}
