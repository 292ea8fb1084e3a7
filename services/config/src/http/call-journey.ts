// "What happened to the call to this voter?": a person looks calls up by one exact key and sees
// each one's journey as the stored call and its run tell it — the decision, the status history,
// the VAN request, the receipt and the error. Nothing is decided again here.

import Router from '@koa/router';
import type Koa from 'koa';
import type { CallSearchKey, OperatorCalls, OperatorRuns } from '@call-sync/store';
import { renderCallSearchPage } from '../pages/call-journey-page';
import { principalOf } from './access';
import { operations } from './api/operations';
import { HttpError } from './http-error';
import { respond } from './negotiation';
import { serve } from './serve-operation';

import { describeJourney, maskPhone, MAX_CALLS, phoneValues, type RunFacts } from '../call-journey-view';

export function callJourneyRoutes(deps: { calls: OperatorCalls; runs: OperatorRuns }): Router {
  const router = new Router();

  const search = async (ctx: Koa.Context, by: CallSearchKey, value: string) => {
    const { candidates } = principalOf(ctx);
    const found = await deps.calls.findCalls(by, by === 'phone' ? phoneValues(value) : [value], {
      ...(candidates ? { candidates } : {}),
      limit: MAX_CALLS + 1,
    });
    const calls = found.slice(0, MAX_CALLS);
    const runIds = [...new Set(calls.map((call) => call.run_id).filter((id): id is string => !!id))];
    const runs = new Map(
      await Promise.all(runIds.map(async (runId) => [runId, await deps.runs.get(runId)] as const)),
    );
    const factsOf = (runId: string | undefined): RunFacts | null => {
      if (!runId) return null;
      const run = runs.get(runId);
      return {
        runId,
        state: run?.state ?? null,
        strategy: run?.strategy ?? null,
        trigger: run?.trigger ?? null,
        startedAt: run?.startedAt ?? null,
      };
    };
    const answer = {
      search: { by, value: by === 'phone' ? maskPhone(value) : value },
      calls: calls.map((call) => describeJourney(call, factsOf(call.run_id))),
      more: found.length > MAX_CALLS,
    };
    respond(ctx, answer, () => renderCallSearchPage(ctx, answer));
  };

  serve(router, operations.callSearchPage, async (ctx: Koa.Context, { query }) => {
    const { by, value } = query;
    if (by === 'phone')
      throw new HttpError(
        400,
        'phone_in_url',
        'search a phone number with the form (POST /calls/search): a number in a URL stays in logs and browser history',
      );
    if (by === undefined || value === undefined) {
      if (by !== undefined || value !== undefined)
        throw new HttpError(400, 'bad_parameter', 'by and value go together');
      const answer = { search: null, calls: [], more: false };
      respond(ctx, answer, () => renderCallSearchPage(ctx, answer));
      return;
    }
    await search(ctx, by, value);
  });

  serve(router, operations.callSearch, async (ctx: Koa.Context, { body }) => {
    await search(ctx, body!.by, body!.value);
  });

  return router;
}
