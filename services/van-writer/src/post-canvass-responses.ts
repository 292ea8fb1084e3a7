// Posts the canvass responses of one `callsync.van-sync` message, at most once per call.
//
// The order of writes is the whole point (DESIGN, correctness rules):
//   1. compare-and-set `posting_started_at` on the call (only if unset) — only then
//   2. send the request to VAN, and
//   3. record the outcome with a compare-and-set on `in_progress`.
// A crash between 1 and 3 leaves the mark; the redelivered message finds it and records
// `attempted_error` "outcome unknown" for a person to check in VAN — it never posts again,
// because VAN has no idempotency key and a second post pollutes a voter file for good.
// The mark is taken back only when the request provably never reached VAN (budget spent,
// 429, a connection that never opened).

import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import { RunState, SyncStatus, type Call, type SyncReceipt, type VanSyncMessage } from '@call-sync/core';
import {
  VanBudgetExhaustedError,
  VanOutcomeUnknownError,
  VanServerError,
  VanThrottledError,
  VanValidationError,
  type VanClient,
} from '@call-sync/integrations';
import {
  context,
  propagation,
  SpanStatusCode,
  trace,
  type Logger,
  type Publisher,
} from '@call-sync/platform';
import {
  advanceRun,
  findRun,
  incrementRunCounters,
  markPosting,
  OUTCOME_UNKNOWN,
  pipelineMetricsFor,
  recordOutcome,
  releasePosting,
  updateLiveRun,
} from '@call-sync/store';

/** What a writer needs to post for one candidate: its client (key, limiter, shared budget). */
export interface CandidateVanAccess {
  client: VanClient;
  /** VAN requests spent through this client so far (this process), for the run's counter. */
  requestsUsed(): number;
  budgetRemaining(): Promise<number>;
}

export interface PostDeps {
  db: Db;
  publisher: Publisher;
  logger: Logger;
  registry?: Registry;
  /** Calls of one message posted at once: enough to keep the key's limiter busy despite latency. */
  concurrency: number;
  vanAccessFor(candidate: string): Promise<CandidateVanAccess | undefined>;
}

/** Thrown to have Kafka deliver the message again: nothing of it reached VAN that was not recorded. */
export class RetryLaterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

type CallResult =
  | { kind: 'outcome'; status: SyncStatus; redelivered?: boolean }
  | { kind: 'skipped' }
  | { kind: 'budget' }
  | { kind: 'retry'; reason: string };

const tracer = trace.getTracer('call-sync.van-writer');

function headerGetter(headers: Record<string, unknown>) {
  return {
    keys: (carrier: Record<string, unknown>) => Object.keys(carrier),
    get: (carrier: Record<string, unknown>, key: string) => {
      const value = carrier[key] ?? headers[key];
      if (value === undefined) return undefined;
      return Buffer.isBuffer(value)
        ? value.toString()
        : Array.isArray(value)
          ? value.map(String)
          : String(value);
    },
  };
}

async function record(
  deps: PostDeps,
  runId: string,
  callId: string,
  outcome: { status: SyncStatus; receipt?: SyncReceipt; error?: string },
): Promise<CallResult> {
  // A post that VAN accepted must not end as "outcome unknown" because Mongo blinked: a few
  // tries before giving the message back (whose redelivery would flag it for a person).
  for (let attempt = 1; ; attempt += 1) {
    try {
      const applied = await recordOutcome(deps.db, runId, callId, outcome);
      return applied ? { kind: 'outcome', status: outcome.status } : { kind: 'skipped' };
    } catch (error) {
      if (attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

async function postOne(
  deps: PostDeps,
  access: CandidateVanAccess,
  runId: string,
  callId: string,
): Promise<CallResult> {
  const requestId = randomUUID();
  const mark = await markPosting(deps.db, runId, callId, requestId);
  if (mark.kind === 'settled') return { kind: 'skipped' };
  if (mark.kind === 'already-posting') {
    await record(deps, runId, callId, { status: SyncStatus.AttemptedError, error: OUTCOME_UNKNOWN });
    return { kind: 'outcome', status: SyncStatus.AttemptedError, redelivered: true };
  }
  const call: Call = mark.call;
  if (!call.van_request) {
    return record(deps, runId, callId, {
      status: SyncStatus.UnattemptedError,
      error: 'no VAN request was decided for this call',
    });
  }
  const { vanId, body } = call.van_request;
  try {
    const receipt = await access.client.postCanvassResponse(vanId, body);
    return record(deps, runId, callId, {
      status: SyncStatus.Finished,
      receipt: {
        kind: 'van',
        vanId,
        dateCanvassed: receipt.dateCanvassed,
        requestId,
        postedAt: new Date(receipt.acceptedAt),
        httpStatus: receipt.status,
      },
    });
  } catch (error) {
    if (error instanceof VanBudgetExhaustedError) {
      await releasePosting(deps.db, runId, callId, requestId);
      return { kind: 'budget' };
    }
    if (error instanceof VanThrottledError || error instanceof VanServerError) {
      // 429 after our retries, or a connection that never opened: VAN did not process it.
      await releasePosting(deps.db, runId, callId, requestId);
      return { kind: 'retry', reason: error.message };
    }
    if (error instanceof VanOutcomeUnknownError) {
      return record(deps, runId, callId, {
        status: SyncStatus.AttemptedError,
        error: `${OUTCOME_UNKNOWN} (${error.reason})`,
      });
    }
    if (error instanceof VanValidationError) {
      return record(deps, runId, callId, { status: SyncStatus.AttemptedError, error: error.text });
    }
    // Auth errors carry VAN's refusal; anything else we cannot classify may have reached VAN.
    const message = (error as Error).message;
    return record(deps, runId, callId, {
      status: SyncStatus.AttemptedError,
      error:
        error instanceof Error && error.name === 'VanAuthError' ? message : `${OUTCOME_UNKNOWN}: ${message}`,
    });
  }
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function inPool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(workers);
  return results;
}

/**
 * Handles one message. Returns normally once Mongo has every outcome (then the offset may be
 * committed); throws RetryLaterError when some calls must be tried again later.
 */
export async function postCanvassResponses(
  deps: PostDeps,
  message: VanSyncMessage,
  headers: Record<string, unknown> = {},
): Promise<{ outcomes: Partial<Record<SyncStatus, number>>; budgetExhausted: boolean }> {
  const outcomes: Partial<Record<SyncStatus, number>> = {};
  const run = await findRun(deps.db, message.runId);
  // A finished run's calls are left as they are: a resume or a reset decides about them.
  if (!run || run.state === RunState.Completed || run.state === RunState.Failed || run.dryRun) {
    return { outcomes, budgetExhausted: false };
  }
  const access = await deps.vanAccessFor(message.candidate);
  if (!access)
    throw new RetryLaterError(
      `no VAN access for candidate "${message.candidate}" (not in the configuration)`,
    );
  const metrics = deps.registry ? pipelineMetricsFor(deps.registry) : undefined;
  const parent = propagation.extract(context.active(), headers, headerGetter(headers));
  const usedBefore = access.requestsUsed();

  const results = await inPool(message.callIds, deps.concurrency, (callId) =>
    tracer.startActiveSpan(
      'post canvass response',
      {
        attributes: {
          'callsync.call_id': callId,
          'callsync.run_id': message.runId,
          'callsync.candidate': message.candidate,
        },
      },
      parent,
      async (span) => {
        try {
          const result = await postOne(deps, access, message.runId, callId);
          span.setAttribute('callsync.result', result.kind === 'outcome' ? result.status : result.kind);
          return result;
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      },
    ),
  );

  let done = 0;
  let budgetExhausted = false;
  // A call already settled or caught mid-post means this message was delivered before, by a
  // writer that may have died before moving the run's counters: the run is then recounted.
  const redelivered = results.some((r) => r.kind === 'skipped' || (r.kind === 'outcome' && r.redelivered));
  const retries: string[] = [];
  for (const result of results) {
    if (result.kind === 'outcome') {
      outcomes[result.status] = (outcomes[result.status] ?? 0) + 1;
      done += 1;
      metrics?.callOutcomes.inc({ candidate: message.candidate, status: result.status });
    } else if (result.kind === 'budget') budgetExhausted = true;
    else if (result.kind === 'retry') retries.push(result.reason);
  }
  await incrementRunCounters(deps.db, message.runId, {
    counts: { ...outcomes, [SyncStatus.InProgress]: -done },
    vanRequestsUsed: access.requestsUsed() - usedBefore,
    vanDone: done,
  });
  metrics?.budgetRemaining.set({ candidate: message.candidate }, await access.budgetRemaining());
  if (budgetExhausted) {
    // The calls stay claimed and the run says why it waits; the extractor re-publishes them
    // when a new day brings the budget back. Not a failure, and the message is done.
    await updateLiveRun(deps.db, message.runId, {
      waitingFor: 'the VAN daily request budget is spent',
      waitingSince: new Date(),
    });
    deps.logger.warn({ runId: message.runId, candidate: message.candidate }, 'VAN budget spent; run waits');
  }
  if (retries.length > 0) throw new RetryLaterError(`${retries.length} calls to try again: ${retries[0]}`);
  await advanceRun(deps, message.runId, { exact: redelivered });
  return { outcomes, budgetExhausted };
}
