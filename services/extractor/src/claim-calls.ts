// The heart of extraction: walk the run's unsynced calls with a cursor, decide each with the
// pure decision, claim each batch in one bulk compare-and-set, and publish the VAN work for the
// calls this run now owns. Mongo holds every claim before Kafka hears of it, so a crash between
// the two leaves claimed calls that a resume re-publishes, never calls that are lost.

import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import {
  decideCall,
  emptyRunCounts,
  hasSettled,
  planForStrategy,
  SyncStatus,
  VanSyncMessage,
  type DecisionCall,
  type RunCounts,
  type VanMetadata,
} from '@call-sync/core';
import type { CandidateConfiguration } from '@call-sync/integrations';
import { oneWriteAtATime, Topics, trace, type Logger, type Publisher } from '@call-sync/platform';
import {
  batchesReadAhead,
  claimCalls,
  publishBulkImport,
  incrementRunCounters,
  pipelineMetricsFor,
  unsyncedCallsInWindow,
  type CallClaim,
  type RunDocument,
} from '@call-sync/store';
import { inClaimSlot, type ClaimSlots } from './extraction-turns';

export interface ClaimDeps {
  db: Db;
  publisher: Publisher;
  logger: Logger;
  registry?: Registry;
  /** Call ids per van-sync message. */
  vanSyncBatchSize: number;
  /** Calls decided and claimed per bulk write. */
  claimBatchSize?: number;
  /** Held while the main cursor's large batches are in memory; unset, nothing is shared. */
  claimSlots?: ClaimSlots;
  /** Called once the run's first calls are claimed and their VAN work published (or none were). */
  onFirstBatch?: () => void;
  /** What the batches past the first wait for (other runs' first batches), beside a claim slot. */
  largeClaimsAfter?: Promise<void>;
}

export interface ClaimSummary {
  decided: number;
  /** Statuses of the calls this run claimed (or, in a dry run, would claim). */
  counts: RunCounts;
  vanCalls: number;
  /** Calls for the run's VAN Bulk Import job(s) (strategy `bulk`), sent by one message. */
  bulkCalls: number;
  csvCalls: number;
}

const tracer = trace.getTracer('call-sync.extractor');

/**
 * Calls decided and claimed per bulk write (and read per cursor batch). Large, because each
 * batch costs a few round trips whatever its size; 5,000 calls are a few MB.
 */
const DEFAULT_CLAIM_BATCH_SIZE = 5_000;
/**
 * The first batch of a run is two messages' worth of calls, and each next one four times the
 * last, up to the batch size: a key's writer has its first post and the message after it within
 * a few claims' time, even with forty candidates claiming at once on one server, and a long night
 * is still claimed in large batches.
 */
const FIRST_CLAIM_BATCH_MESSAGES = 2;
const CLAIM_BATCH_GROWTH = 4;

/** Plans one call: the status to claim it into, and what travels with it. */
function planCall(
  call: DecisionCall,
  config: CandidateConfiguration,
  metadata: VanMetadata | undefined,
): CallClaim & { route: string } {
  const decision = decideCall(call, config.candidate, config.index, metadata);
  const plan = planForStrategy(decision, config.candidate);
  const claim: CallClaim & { route: string } = { callId: call.id, status: plan.status, route: plan.route };
  if (decision.row) claim.displayName = decision.row.displayName;
  if (plan.error !== undefined) claim.error = plan.error;
  // `bulk` calls carry their request too: the van-writer writes them into Bulk Import files.
  if (decision.kind === 'post' && (plan.route === 'van' || plan.route === 'van-bulk')) {
    claim.vanRequest = { vanId: decision.vanId, body: decision.body };
  }
  return claim;
}

/**
 * Publishes the VAN work of claimed calls. The platform's publisher carries the trace context in
 * the headers, under this "publish van work" span.
 */
async function publishVanWork(deps: ClaimDeps, run: RunDocument, callIds: string[]): Promise<void> {
  const messages: { key: string; value: VanSyncMessage }[] = [];
  for (let i = 0; i < callIds.length; i += deps.vanSyncBatchSize) {
    messages.push({
      key: run.candidate,
      value: {
        v: 1,
        runId: run.runId,
        candidate: run.candidate,
        callIds: callIds.slice(i, i + deps.vanSyncBatchSize),
      },
    });
  }
  await deps.publisher.publish(Topics.VanSync, VanSyncMessage, messages);
}

/**
 * Decides and claims every unsynced call of the run's window and district. In a dry run nothing
 * is claimed or published; the summary says what would have been. With `settledBy` (a continuous
 * day's cycle) only the calls finished by then are taken; the others wait for a later cycle.
 */
export async function claimRunCalls(
  deps: ClaimDeps,
  run: RunDocument,
  config: CandidateConfiguration,
  metadata: VanMetadata | undefined,
  options: { settledBy?: Date } = {},
): Promise<ClaimSummary> {
  const summary: ClaimSummary = {
    decided: 0,
    counts: emptyRunCounts(),
    vanCalls: 0,
    bulkCalls: 0,
    csvCalls: 0,
  };
  const metrics = deps.registry ? pipelineMetricsFor(deps.registry) : undefined;
  const batchSize = deps.claimBatchSize ?? DEFAULT_CLAIM_BATCH_SIZE;
  const selection = { district: config.candidate.district, window: run.window };
  const settled = (call: DecisionCall) => !options.settledBy || hasSettled(call, options.settledBy);
  let nextBatchSize = Math.min(batchSize, FIRST_CLAIM_BATCH_MESSAGES * deps.vanSyncBatchSize);

  const flush = async (calls: DecisionCall[]): Promise<void> => {
    if (calls.length === 0) return;
    const planned = calls.map((call) => planCall(call, config, metadata));
    summary.decided += planned.length;
    const owned = run.dryRun
      ? new Set(planned.map((p) => p.callId))
      : await claimCalls(deps.db, run.runId, planned);
    const claimed = planned.filter((p) => owned.has(p.callId));
    const counts: Partial<Record<SyncStatus, number>> = {};
    for (const claim of claimed) {
      counts[claim.status] = (counts[claim.status] ?? 0) + 1;
      summary.counts[claim.status] += 1;
      if (claim.route === 'van') summary.vanCalls += 1;
      if (claim.route === 'van-bulk') summary.bulkCalls += 1;
      if (claim.route === 'csv' || claim.route === 'csv-after-van') summary.csvCalls += 1;
    }
    // Once per status and batch rather than per call: a labelled inc costs a lookup each time.
    for (const [status, count] of Object.entries(counts)) {
      metrics?.callOutcomes.inc({ candidate: run.candidate, status }, count);
    }
    if (run.dryRun) return;
    const vanCallIds = claimed.filter((c) => c.route === 'van').map((c) => c.callId);
    await tracer.startActiveSpan(
      'publish van work',
      {
        attributes: {
          'callsync.run_id': run.runId,
          'callsync.candidate': run.candidate,
          'callsync.calls': vanCallIds.length,
        },
      },
      async (span) => {
        try {
          await publishVanWork(deps, run, vanCallIds);
        } finally {
          span.end();
        }
      },
    );
    await incrementRunCounters(deps.db, run.runId, {
      counts,
      callsClaimed: claimed.length,
      callsDecided: planned.length,
      vanCalls: vanCallIds.length,
    });
  };

  const grow = () => (nextBatchSize = Math.min(batchSize, nextBatchSize * CLAIM_BATCH_GROWTH));

  // One batch is claimed and published while the cursor reads the next: at most two batches in
  // memory, whatever the night's size.
  const claimTheRest = async (): Promise<void> => {
    const cursor = unsyncedCallsInWindow(deps.db, selection, batchSize);
    const claims = oneWriteAtATime();
    let batch: DecisionCall[] = [];
    try {
      for await (const calls of batchesReadAhead(cursor)) {
        for (const call of calls) {
          if (!settled(call)) continue;
          batch.push(call);
          if (batch.length >= nextBatchSize) {
            const full = batch;
            batch = [];
            await claims.write(() => flush(full));
            grow();
          }
        }
      }
      await claims.finish();
      await flush(batch);
    } finally {
      await claims.settle();
      await cursor.close();
    }
  };

  // The first calls come from a small query of their own, claimed and published before the main
  // cursor opens: its first batch of 5,000 took the server ~0.3 s before any writer had work, and
  // candidates extracted side by side began posting seconds apart. A claim takes a call out of the
  // filter, so the main cursor then reads only the others. A dry run claims nothing: it reads
  // everything through the main cursor.
  let more = true;
  if (!run.dryRun) {
    const first = await unsyncedCallsInWindow(deps.db, selection, nextBatchSize, nextBatchSize).toArray();
    await flush(first.filter(settled));
    more = first.length === nextBatchSize;
    grow();
  }
  deps.onFirstBatch?.();
  if (more) {
    await deps.largeClaimsAfter;
    await inClaimSlot(deps.claimSlots, claimTheRest);
  }
  if (!run.dryRun && summary.bulkCalls > 0) await publishBulkImport(deps.publisher, run);
  deps.logger.info({ runId: run.runId, candidate: run.candidate, ...summary }, 'calls claimed');
  return summary;
}
