// The worklist of calls whose VAN post may or may not have landed, and a person's verdict on each
// (docs/outcome-unknown.md): "in VAN" finishes the call with a receipt naming who confirmed it;
// "not in VAN" posts it once more under a lease, so a crash or a second click never posts twice.

import Router from '@koa/router';
import type Koa from 'koa';
import type { Db } from 'mongodb';
import {
  describeCanvassRequest,
  windowForDay,
  type Candidate,
  type SyncReceipt,
  type VanMetadata,
} from '@call-sync/core';
import { classifyVanPostFailure } from '@call-sync/integrations';
import {
  beginRepost,
  callsCollection,
  confirmInVan,
  describeRefusal,
  finishRepost,
  listOutcomeUnknown,
  type OutcomeUnknownCall,
  type RepostOutcome,
} from '@call-sync/store';
import type { ConfigCache } from '../config-cache';
import type { AuditRepository } from '../data-access/audit-repository';
import { renderOutcomeUnknownPage, renderResolvedPage } from '../pages/outcome-unknown-page';
import type { VanMetadataCache } from '../van-metadata-cache';
import { assertCandidateAllowed, mayAccessCandidate, principalOf } from './access';
import { operations } from './api/operations';
import { recordAudit } from './audit-entries';
import { respond } from './negotiation';
import { serve } from './serve-operation';

export interface OutcomeUnknownDeps {
  db: Db;
  cache: ConfigCache;
  vanCache: VanMetadataCache;
  audit: AuditRepository;
  /** VAN_PERSON_URL: where a person opens a voter in VAN, `{vanId}` replaced. */
  personUrl: string;
  /** How long a re-post owns its call: longer than the VAN client can take to answer. */
  repostLeaseMs: number;
}

type Resolved = {
  callId: string;
  result: 'finished' | 'attempted_error' | 'outcome_unknown' | 'refused';
  detail: string;
};

/** VAN's names for the ids a call sent, when the key's metadata can be read; ids alone otherwise. */
async function metadataOf(deps: OutcomeUnknownDeps, slug: string): Promise<VanMetadata | undefined> {
  const configuration = await deps.cache.candidate(slug);
  if (!configuration?.candidate.apiKey) return undefined;
  try {
    return (await deps.vanCache.get(configuration.candidate)).metadata;
  } catch {
    return undefined;
  }
}

function describeCall(call: OutcomeUnknownCall, metadata: VanMetadata | undefined, personUrl: string) {
  const vanId = call.van_request?.vanId ?? null;
  return {
    callId: call.id,
    candidate: call.client ?? null,
    runId: call.run_id ?? null,
    vanId,
    voter: `${call.first_name ?? ''} ${call.last_name ?? ''}`.trim(),
    phoneDialed: call.phone_dialed,
    calledAt: call.timestamp.toISOString(),
    result: call.display_name ?? call.full_on_screen_result ?? null,
    postLeftAt: call.posting_started_at?.toISOString() ?? null,
    requestId: call.posting_request_id ?? null,
    attempts: call.attempts ?? 0,
    dateCanvassed: call.van_request?.body.canvassContext.dateCanvassed ?? null,
    sent: call.van_request ? describeCanvassRequest(call.van_request.body, metadata) : [],
    error: call.error ?? null,
    vanUrl: vanId === null ? null : personUrl.replace('{vanId}', encodeURIComponent(String(vanId))),
    repostInFlight: (call.repost_lease_until?.getTime() ?? 0) > Date.now(),
  };
}

export function outcomeUnknownRoutes(deps: OutcomeUnknownDeps): Router {
  const router = new Router();

  serve(router, operations.outcomeUnknown, async (ctx: Koa.Context, { query }) => {
    const { candidate, run, day, limit } = query;
    if (candidate !== undefined) assertCandidateAllowed(ctx, candidate);
    const allowed = principalOf(ctx).candidates;
    const { calls, total } = await listOutcomeUnknown(deps.db, {
      limit,
      ...(candidate ? { candidates: [candidate] } : allowed ? { candidates: allowed } : {}),
      ...(run ? { runId: run } : {}),
      ...(day ? { window: windowForDay(day) } : {}),
    });
    const slugs = [...new Set(calls.map((c) => c.client).filter((c): c is string => !!c))];
    const metadata = new Map(
      await Promise.all(slugs.map(async (s) => [s, await metadataOf(deps, s)] as const)),
    );
    const answer = {
      calls: calls.map((call) => describeCall(call, metadata.get(call.client ?? ''), deps.personUrl)),
      total,
      namesFromVan: slugs.every((slug) => metadata.get(slug) !== undefined),
    };
    const canResolve = principalOf(ctx).role === 'operator';
    respond(ctx, answer, () => renderOutcomeUnknownPage(ctx, answer, { candidate, run, day, canResolve }));
  });

  serve(router, operations.resolveOutcomeUnknown, async (ctx: Koa.Context, { body }) => {
    const { verdict, callId } = body!;
    const ids = [...new Set(Array.isArray(callId) ? callId : [callId])];
    const by = principalOf(ctx).name;
    const results: Resolved[] = [];
    const candidates = new Set<string>();
    for (const id of ids) {
      const call = await callsCollection(deps.db).findOne({ id }, { projection: { client: 1 } });
      if (!call || !mayAccessCandidate(principalOf(ctx), call.client ?? '')) {
        results.push({ callId: id, result: 'refused', detail: describeRefusal('not_outcome_unknown') });
        continue;
      }
      if (call.client) candidates.add(call.client);
      results.push(
        verdict === 'in-van' ? await confirm(deps, id, by) : await repost(deps, id, call.client ?? '', by),
      );
    }
    const settled = results.filter((r) => r.result !== 'refused' && r.result !== 'outcome_unknown').length;
    await recordAudit(ctx, deps.audit, {
      action: verdict === 'in-van' ? 'outcome_confirmed' : 'outcome_reposted',
      ...(candidates.size === 1 ? { candidate: [...candidates][0]! } : {}),
      outcome: settled > 0 || results.length === 0 ? 'done' : 'failed',
      summary:
        verdict === 'in-van'
          ? `${settled} of ${ids.length} outcome-unknown calls confirmed in VAN`
          : `${ids.length} outcome-unknown calls found not in VAN and posted once more: ${settled} settled`,
      details: { verdict, results },
    });
    const answer = { verdict, results };
    respond(ctx, answer, () => renderResolvedPage(ctx, answer));
  });

  return router;
}

async function confirm(deps: OutcomeUnknownDeps, callId: string, by: string): Promise<Resolved> {
  const confirmed = await confirmInVan(deps.db, callId, by);
  if (!confirmed.ok) return { callId, result: 'refused', detail: describeRefusal(confirmed.reason) };
  return { callId, result: 'finished', detail: `finished: confirmed in VAN by ${by}` };
}

async function repost(deps: OutcomeUnknownDeps, callId: string, slug: string, by: string): Promise<Resolved> {
  const configuration = await deps.cache.candidate(slug);
  const candidate: Candidate | undefined = configuration?.candidate;
  if (!candidate?.apiKey)
    return { callId, result: 'refused', detail: `candidate ${slug} has no VAN key in the configuration` };
  const begun = await beginRepost(deps.db, callId, { by, leaseMs: deps.repostLeaseMs });
  if (!begun.ok) return { callId, result: 'refused', detail: describeRefusal(begun.reason) };
  const { lease } = begun;
  const { vanId, body } = lease.call.van_request;
  let outcome: RepostOutcome;
  try {
    const receipt = await deps.vanCache.client(candidate).postCanvassResponse(vanId, body);
    const vanReceipt: SyncReceipt = {
      kind: 'van',
      vanId,
      dateCanvassed: receipt.dateCanvassed,
      requestId: lease.requestId,
      postedAt: new Date(receipt.acceptedAt),
      httpStatus: receipt.status,
    };
    outcome = { kind: 'accepted', receipt: vanReceipt };
  } catch (error) {
    const failure = classifyVanPostFailure(error);
    outcome =
      failure.kind === 'budget' || failure.kind === 'not-sent'
        ? { kind: 'not-sent', reason: failure.message }
        : failure.kind === 'unknown'
          ? { kind: 'unknown', reason: failure.message }
          : { kind: 'rejected', error: failure.message };
  }
  const recorded = await finishRepost(deps.db, lease, outcome, by);
  if (!recorded)
    return {
      callId,
      result: 'outcome_unknown',
      detail: 'the re-post lost its lease before VAN answered; look again',
    };
  switch (outcome.kind) {
    case 'accepted':
      return {
        callId,
        result: 'finished',
        detail: `finished: VAN accepted the re-post (request ${lease.requestId})`,
      };
    case 'rejected':
      return { callId, result: 'attempted_error', detail: `VAN refused the re-post: ${outcome.error}` };
    case 'not-sent':
      return { callId, result: 'outcome_unknown', detail: `not sent, nothing changed: ${outcome.reason}` };
    case 'unknown':
      return {
        callId,
        result: 'outcome_unknown',
        detail: `outcome unknown again (${outcome.reason}): check VAN once more before deciding`,
      };
  }
}
