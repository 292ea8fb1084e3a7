// One key's window of VAN posts in flight, shared by every message of that key's candidate, so
// the key's limiter never waits for a message boundary (the slowest post of one message used to
// hold back the first post of the next).
//
// Per call the order is the at-most-once order of docs/behaviour.md#at-most-once: the compare-and-set mark, then the
// POST, then the outcome's compare-and-set. Marks and outcomes are written in batches (one bulk
// write each for whatever is ready), and the run's counters move once per message. A call
// holds a slot of the window from its mark until its outcome is in MongoDB, so the calls a crash
// can leave "outcome unknown" are at most the window: about rate × latency, never more than the
// cap (VAN_WRITER_CONCURRENCY).

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import { SyncStatus, type Call } from '@call-sync/core';
import { classifyVanPostFailure, type KeyRateLimiter, type VanClient } from '@call-sync/integrations';
import { context, SpanStatusCode, trace } from '@call-sync/platform';
import {
  observeFinishToPost,
  OUTCOME_UNKNOWN,
  pipelineMetricsFor,
  releasePosting,
  type CallOutcome,
  type MarkedCall,
  type MarkedOutcome,
} from '@call-sync/store';
import { writerCommits, type WriterCommits } from './writer-commits';

/** What a writer needs to post for one candidate: its client (key, limiter, shared budget). */
export interface CandidateVanAccess {
  client: VanClient;
  /** VAN requests spent through this client so far (this process), for the run's counter. */
  requestsUsed(): number;
  /** For the gauge: what is left today, as this process last saw it where it can (no read per message). */
  budgetRemaining(): Promise<number>;
  /** The key's limiter, when known: its rate sizes the window. */
  limiter?: KeyRateLimiter;
}

export type CallResult =
  | { kind: 'outcome'; status: SyncStatus; redelivered?: boolean }
  | { kind: 'skipped' }
  | { kind: 'budget' }
  | { kind: 'retry'; reason: string };

export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface WindowDeps {
  db: Db;
  registry?: Registry;
  /** Most posts in flight for one key, whatever rate × latency says. */
  maxInFlight: number;
  /** The process's gathered writes, shared by every key's window; a window of its own when absent. */
  commits?: WriterCommits;
}

type Context = ReturnType<typeof context.active>;

/** Set around one post: when its last attempt got the limiter's token. */
const grants = new AsyncLocalStorage<{ grantedAt?: number }>();

/**
 * The key's limiter as the client should use it, noting when each post's token was granted, so
 * the window learns how long a post holds its slot beyond waiting for the limiter (that wait
 * must not grow the window: more posts in flight cannot make a rate-bound key go faster).
 */
export function observedLimiter(limiter: KeyRateLimiter): KeyRateLimiter {
  return {
    ratePerSecond: limiter.ratePerSecond,
    acquire: async () => {
      await limiter.acquire();
      const slot = grants.getStore();
      if (slot) slot.grantedAt = Date.now();
    },
  };
}

interface Item {
  runId: string;
  callId: string;
  candidate: string;
  ctx: Context;
  markedAt: number;
  /** Time spent waiting for the limiter (and the budget) before the request left. */
  waitedMs: number;
  /** The call as read when it came in; null when it could not be read (the mark reads it then). */
  readAhead: Promise<MarkedCall | null>;
  /** When the call was made, for the finish-to-post delay (known once it is marked). */
  called?: Pick<Call, 'finish_time' | 'timestamp'>;
  settle(result: Settled<CallResult>): void;
}

interface PendingOutcome {
  item: Item;
  entry: MarkedOutcome;
  redelivered: boolean;
}

const tracer = trace.getTracer('call-sync.van-writer');

/** Headroom over rate × latency, so latency jitter does not leave the limiter without work. */
const WINDOW_HEADROOM = 1.25;
/** What a post is assumed to take before any has been seen. */
const INITIAL_SERVICE_MS = 250;

/** A post that may have reached VAN: flagged for a person with the reason, never re-posted. */
const outcomeUnknown = (reason: string): CallOutcome => ({
  status: SyncStatus.AttemptedError,
  error: `${OUTCOME_UNKNOWN} (${reason})`,
  outcomeUnknown: true,
});

export class PostingWindow {
  private readonly queue: Item[] = [];
  private inFlight = 0;
  private marking = false;
  private flushing = false;
  private outcomes: PendingOutcome[] = [];
  private roomWaiters: (() => void)[] = [];
  /** Mark-to-outcome time of a call, less the time it waited for the limiter (EWMA, ms). */
  private serviceMs = INITIAL_SERVICE_MS;
  private requestsCounted = 0;

  private readonly commits: WriterCommits;

  constructor(
    private readonly deps: WindowDeps,
    private readonly access: CandidateVanAccess,
  ) {
    this.requestsCounted = access.requestsUsed();
    this.commits = deps.commits ?? writerCommits(deps.db);
  }

  /**
   * Posts in flight the key needs to be kept busy (Little's law: rate × time a post holds its
   * slot), with headroom; the cap alone when the key's rate is unknown.
   */
  size(): number {
    const rate = this.access.limiter?.ratePerSecond;
    if (!rate) return this.deps.maxInFlight;
    const needed = Math.ceil((rate * this.serviceMs * WINDOW_HEADROOM) / 1000) + 1;
    return Math.max(2, Math.min(this.deps.maxInFlight, needed));
  }

  /** Whether fewer calls wait than the window holds: the next message may come in. */
  hasRoom(): boolean {
    return this.queue.length < this.size();
  }

  /** Resolves once the window has room (hasRoom). */
  whenRoom(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** VAN requests this key spent since the last call, for the run's counter. */
  takeRequestsUsed(): number {
    const used = this.access.requestsUsed();
    const delta = used - this.requestsCounted;
    this.requestsCounted = used;
    return delta;
  }

  /** Posts the calls through the window; every call settles, whatever happens to the others. */
  submit(runId: string, candidate: string, callIds: string[]): Promise<Settled<CallResult>[]> {
    const ctx = context.active();
    // Read while the calls wait for their key, so that their marks need no read after them.
    const readAhead = this.commits.callsToPost.submit(callIds).catch(() => callIds.map(() => null));
    const settled = callIds.map(
      (callId, i) =>
        new Promise<Settled<CallResult>>((settle) =>
          this.queue.push({
            runId,
            callId,
            candidate,
            ctx,
            markedAt: 0,
            waitedMs: 0,
            readAhead: readAhead.then((calls) => calls[i] ?? null),
            settle,
          }),
        ),
    );
    this.pump();
    return Promise.all(settled);
  }

  private pump(): void {
    if (!this.marking && this.queue.length > 0) {
      const room = this.size() - this.inFlight;
      if (room > 0) {
        const items = this.queue.splice(0, room);
        this.inFlight += items.length;
        this.marking = true;
        void this.markAndPost(items).finally(() => {
          this.marking = false;
          this.pump();
        });
      }
    }
    if (this.queue.length < this.size()) {
      const waiters = this.roomWaiters;
      this.roomWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private release(item: Item, result: Settled<CallResult>): void {
    this.inFlight -= 1;
    this.commits.leases.drop(item.callId);
    item.settle(result);
  }

  private async markAndPost(items: Item[]): Promise<void> {
    const markedAt = Date.now();
    let marks: Awaited<ReturnType<WriterCommits['marks']['submit']>>;
    try {
      const readAhead = await Promise.all(items.map((i) => i.readAhead));
      marks = await this.commits.marks.submit(
        items.map((item, i) => ({ runId: item.runId, callId: item.callId, readAhead: readAhead[i] })),
      );
    } catch (error) {
      for (const item of items) this.release(item, { ok: false, error });
      return;
    }
    items.forEach((item, i) => {
      item.markedAt = markedAt;
      const mark = marks[i]!;
      if (mark.kind === 'failed') this.release(item, { ok: false, error: mark.error });
      else if (mark.kind === 'settled') this.release(item, { ok: true, value: { kind: 'skipped' } });
      else if (mark.kind === 'held') {
        // Another writer may be waiting for VAN's answer on it: its outcome, not ours, is the truth.
        this.release(item, {
          ok: true,
          value: { kind: 'retry', reason: 'another writer holds its posting mark' },
        });
      } else if (mark.kind === 'already-posting') {
        this.addOutcome(
          item,
          mark.call.posting_request_id ?? '',
          outcomeUnknown('found mid-post after a restart or a redelivery'),
          true,
        );
      } else if (!mark.call.van_request) {
        this.addOutcome(item, mark.requestId, {
          status: SyncStatus.UnattemptedError,
          error: 'no VAN request was decided for this call',
        });
      } else {
        this.commits.leases.hold(item.callId, mark.requestId, markedAt);
        void this.post(item, mark.call, mark.requestId);
      }
    });
  }

  private post(item: Item, call: MarkedCall, requestId: string): Promise<void> {
    item.called = { finish_time: call.finish_time, timestamp: call.timestamp };
    const { vanId, body } = call.van_request!;
    const attributes = {
      'callsync.call_id': item.callId,
      'callsync.run_id': item.runId,
      'callsync.candidate': item.candidate,
    };
    return context.with(item.ctx, () =>
      tracer.startActiveSpan('post canvass response', { attributes }, async (span) => {
        try {
          const outcome = await this.send(item, vanId, body, requestId);
          span.setAttribute('callsync.result', outcome);
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
          this.release(item, { ok: false, error });
        } finally {
          span.end();
        }
      }),
    );
  }

  /** The POST and what its answer means for the call; returns what the span reports. */
  private async send(
    item: Item,
    vanId: number,
    body: NonNullable<Call['van_request']>['body'],
    requestId: string,
  ): Promise<string> {
    const record = (outcome: CallOutcome): string => {
      this.addOutcome(item, requestId, outcome);
      return outcome.status;
    };
    const slot: { grantedAt?: number } = {};
    const postedAt = Date.now();
    try {
      const receipt = await grants
        .run(slot, () => this.access.client.postCanvassResponse(vanId, body))
        .finally(() => (item.waitedMs = (slot.grantedAt ?? postedAt) - postedAt));
      return record({
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
      const failure = classifyVanPostFailure(error);
      switch (failure.kind) {
        case 'budget':
        case 'not-sent':
          await releasePosting(this.deps.db, item.runId, item.callId, requestId);
          this.release(item, {
            ok: true,
            value:
              failure.kind === 'budget' ? { kind: 'budget' } : { kind: 'retry', reason: failure.message },
          });
          return failure.kind === 'budget' ? 'budget' : 'retry';
        case 'refused':
          return record({ status: SyncStatus.UnattemptedError, error: failure.message });
        case 'rejected':
          return record({ status: SyncStatus.AttemptedError, error: failure.message });
        case 'unknown':
          return record(outcomeUnknown(failure.message));
      }
    }
  }

  private addOutcome(item: Item, requestId: string, outcome: CallOutcome, redelivered = false): void {
    this.outcomes.push({
      item,
      entry: { runId: item.runId, callId: item.callId, requestId, outcome },
      redelivered,
    });
    void this.flush();
  }

  /**
   * Writes the outcomes that are ready in one bulk write, and only then settles the calls. While
   * one flush runs the next outcomes gather, so batches grow with the load. The runs' counters
   * move once per message, when it ends (postCanvassResponses): a call's slot is free as soon as
   * its outcome is in MongoDB, so no key waits on another's counters.
   */
  private async flush(): Promise<void> {
    if (this.flushing || this.outcomes.length === 0) return;
    this.flushing = true;
    const batch = this.outcomes;
    this.outcomes = [];
    let results: Settled<CallResult>[];
    try {
      const recorded = await this.commits.outcomes.submit(batch.map((p) => p.entry));
      results = batch.map((pending, i) =>
        recorded[i]
          ? {
              ok: true,
              value: {
                kind: 'outcome',
                status: pending.entry.outcome.status,
                redelivered: pending.redelivered,
              },
            }
          : { ok: true, value: { kind: 'skipped' } },
      );
      this.observeOutcomes(batch, results);
    } catch (error) {
      results = batch.map(() => ({ ok: false, error }));
    }
    const finishedAt = Date.now();
    this.observe(batch.map((p) => finishedAt - p.item.markedAt - p.item.waitedMs));
    batch.forEach((pending, i) => this.release(pending.item, results[i]!));
    this.flushing = false;
    this.pump();
    void this.flush();
  }

  /** The metrics of the outcomes this batch recorded. */
  private observeOutcomes(batch: PendingOutcome[], results: Settled<CallResult>[]): void {
    const registry = this.deps.registry;
    if (!registry) return;
    const metrics = pipelineMetricsFor(registry);
    batch.forEach((pending, i) => {
      const result = results[i]!;
      if (!result.ok || result.value.kind !== 'outcome') return;
      const status = result.value.status;
      metrics.callOutcomes.inc({ candidate: pending.item.candidate, status });
      if (status === SyncStatus.Finished && pending.item.called)
        observeFinishToPost(registry, pending.item.candidate, pending.item.called);
    });
  }

  /** Updates the time a call holds its slot, less its wait for the limiter, from a batch. */
  private observe(serviceMs: number[]): void {
    if (serviceMs.length === 0) return;
    const mean = serviceMs.reduce((a, b) => a + b, 0) / serviceMs.length;
    this.serviceMs = 0.8 * this.serviceMs + 0.2 * Math.max(1, mean);
  }
}
