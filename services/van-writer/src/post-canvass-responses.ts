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
import { RunState, SyncStatus, type Call, type VanSyncMessage } from '@call-sync/core';
import {
  VanAuthError,
  VanBudgetExhaustedError,
  VanOutcomeUnknownError,
  VanRequestRefusedError,
  VanServerError,
  VanThrottledError,
  VanValidationError,
  type VanClient,
} from '@call-sync/integrations';
import {
  context,
  PermanentMessageError,
  propagation,
  SpanStatusCode,
  trace,
  type Logger,
  type Publisher,
} from '@call-sync/platform';
import {
  advanceRun,
  failRun,
  findRun,
  incrementRunCounters,
  markPosting,
  OUTCOME_UNKNOWN,
  pipelineMetricsFor,
  recordOutcome,
  releasePosting,
  updateLiveRun,
  type CallOutcome,
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
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
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
  outcome: CallOutcome,
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

/** A post that may have reached VAN: flagged for a person with the reason, never re-posted. */
const outcomeUnknown = (reason: string): CallOutcome => ({
  status: SyncStatus.AttemptedError,
  error: `${OUTCOME_UNKNOWN} (${reason})`,
  outcomeUnknown: true,
});

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
    await record(deps, runId, callId, outcomeUnknown('found mid-post after a restart or a redelivery'));
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
    if (error instanceof VanRequestRefusedError) {
      // Our own check stopped it before it left: bad dialer data, not a doubt about VAN.
      return record(deps, runId, callId, { status: SyncStatus.UnattemptedError, error: error.message });
    }
    if (error instanceof VanOutcomeUnknownError)
      return record(deps, runId, callId, outcomeUnknown(error.reason));
    if (error instanceof VanValidationError || error instanceof VanAuthError) {
      return record(deps, runId, callId, { status: SyncStatus.AttemptedError, error: error.message });
    }
    // Anything else we cannot classify may have reached VAN.
    return record(deps, runId, callId, outcomeUnknown((error as Error).message));
  }
}

type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Runs `work` over `items` with at most `limit` in flight. Every item settles: one failure (a
 * Mongo blip on one mark) must not abandon the posts still in flight, whose outcomes would then
 * never be recorded and whose redelivery would flag good posts "outcome unknown".
 */
async function inPool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<Settled<R>[]> {
  const results: Settled<R>[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { ok: true, value: await work(items[index]!) };
      } catch (error) {
        results[index] = { ok: false, error };
      }
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
  if (!access) {
    // Retrying cannot help and would hold up every candidate behind this one on the partition:
    // the run fails with the reason (its never-posted calls return to unsynced for the next
    // run) and the message goes to the dead-letter topic.
    const reason = `candidate "${message.candidate}" has no VAN key in the configuration (removed, or its row cannot be read)`;
    await failRun(deps, message.runId, reason);
    throw new PermanentMessageError(reason);
  }
  const metrics = deps.registry ? pipelineMetricsFor(deps.registry) : undefined;
  const parent = propagation.extract(context.active(), headers, headerGetter(headers));
  const usedBefore = access.requestsUsed();

  const settled = await inPool(message.callIds, deps.concurrency, (callId) =>
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

  const results = settled.flatMap((r) => (r.ok ? [r.value] : []));
  const failures = settled.flatMap((r) => (r.ok ? [] : [r.error]));
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
  if (failures.length > 0) {
    // Every other call's outcome is recorded and counted above; the redelivery finds them
    // settled and posts only what never left.
    const first = failures[0] as Error;
    throw new RetryLaterError(`${failures.length} calls failed before or after posting: ${first.message}`, {
      cause: first,
    });
  }
  if (retries.length > 0) throw new RetryLaterError(`${retries.length} calls to try again: ${retries[0]}`);
  await advanceRun(deps, message.runId, { exact: redelivered });
  return { outcomes, budgetExhausted };
}
