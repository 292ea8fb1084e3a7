// Posts the canvass responses of one `callsync.van-sync` message, at most once per call.
//
// The order of writes is the whole point (docs/behaviour.md#at-most-once):
//   1. compare-and-set `posting_started_at` on the call (only if unset) — only then
//   2. send the request to VAN, and
//   3. record the outcome with a compare-and-set on `in_progress`.
// A crash between 1 and 3 leaves the mark; the redelivered message finds it and records
// `attempted_error` "outcome unknown" for a person to check in VAN — it never posts again,
// because VAN has no idempotency key and a second post pollutes a voter file for good.
// The mark is taken back only when the request provably never reached VAN (budget spent,
// 429, a connection that never opened).
//
// The calls go through their key's posting window (posting-window.ts), shared with the other
// messages of the candidate in progress, so posts stay in flight across message boundaries.

import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import { RunState, SyncStatus, type VanSyncMessage } from '@call-sync/core';
import { PermanentMessageError, type Logger, type Publisher } from '@call-sync/platform';
import {
  advanceRun,
  failRun,
  publishPendingFinalEvent,
  pipelineMetricsFor,
  updateLiveRun,
} from '@call-sync/store';
import { PostingWindow, type CandidateVanAccess } from './posting-window';
import { writerCommits, type WriterCommits } from './writer-commits';

export type { CandidateVanAccess } from './posting-window';

export interface PostDeps {
  db: Db;
  publisher: Publisher;
  logger: Logger;
  registry?: Registry;
  /**
   * Most posts in flight per key. Below it the window follows the key's rate × observed latency;
   * it is also the most calls a crash can leave "outcome unknown" per key.
   */
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

// One window per client (a key changes: a new client, a new window); by candidate for admission.
const windows = new WeakMap<CandidateVanAccess, PostingWindow>();
// The writes every window of one database shares, so forty keys' marks leave in one command.
const commitsByDb = new WeakMap<Db, WriterCommits>();

function sharedCommits(deps: PostDeps): WriterCommits {
  let commits = commitsByDb.get(deps.db);
  if (!commits) {
    commits = writerCommits(deps.db);
    commitsByDb.set(deps.db, commits);
  }
  return commits;
}

function windowFor(deps: PostDeps, candidate: string, access: CandidateVanAccess): PostingWindow {
  let window = windows.get(access);
  if (!window) {
    window = new PostingWindow(
      {
        db: deps.db,
        commits: sharedCommits(deps),
        maxInFlight: deps.concurrency,
        ...(deps.registry ? { registry: deps.registry } : {}),
      },
      access,
    );
    windows.set(access, window);
  }
  admissionFor(candidate).window = window;
  return window;
}

/**
 * Which of a candidate's messages may start. One admitted message at a time until it has queued
 * its calls in the window (or ended without), and then only while the window has room: otherwise
 * every message of a fetched batch came in before the first had queued anything, and the batch
 * held the consumer, and every other candidate's partition, until all its calls were posted.
 */
class CandidateAdmission {
  private admitted = 0;
  private waiters: (() => void)[] = [];
  window: PostingWindow | undefined;

  /** Resolves with what hands the admission back if the message does not start after all. */
  async admit(): Promise<() => void> {
    for (;;) {
      if (this.admitted > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
      else if (this.window && !this.window.hasRoom()) await this.window.whenRoom();
      else {
        this.admitted += 1;
        return this.queued();
      }
    }
  }

  /** The admitted message has queued its calls, or ended: the next one may be considered. */
  queued(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.admitted = Math.max(0, this.admitted - 1);
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    };
  }
}

const admissions = new Map<string, CandidateAdmission>();

function admissionFor(candidate: string): CandidateAdmission {
  let admission = admissions.get(candidate);
  if (!admission) {
    admission = new CandidateAdmission();
    admissions.set(candidate, admission);
  }
  return admission;
}

/** Resolves when the candidate's next message may start (the consumer's `admit`). */
export function roomForMessage(candidate: string): Promise<() => void> {
  return admissionFor(candidate).admit();
}

/**
 * Handles one message. Returns normally once Mongo has every outcome (then the offset may be
 * committed); throws RetryLaterError when some calls must be tried again later.
 */
export async function postCanvassResponses(
  deps: PostDeps,
  message: VanSyncMessage,
): Promise<{ outcomes: Partial<Record<SyncStatus, number>>; budgetExhausted: boolean }> {
  const queued = admissionFor(message.candidate).queued();
  try {
    return await postThroughWindow(deps, message, queued);
  } finally {
    queued();
  }
}

async function postThroughWindow(
  deps: PostDeps,
  message: VanSyncMessage,
  queued: () => void,
): Promise<{ outcomes: Partial<Record<SyncStatus, number>>; budgetExhausted: boolean }> {
  const outcomes: Partial<Record<SyncStatus, number>> = {};
  const readRun = async (runId: string) => (await sharedCommits(deps).runs.submit([runId]))[0] ?? null;
  const run = await readRun(message.runId);
  // A finished run's calls are left as they are: a resume or a reset decides about them.
  if (!run || run.state === RunState.Completed || run.state === RunState.Failed || run.dryRun) {
    if (run) await publishPendingFinalEvent(deps, run);
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
  const window = windowFor(deps, message.candidate, access);

  // Every call settles, whatever happens to the others: one failure (a Mongo blip on one mark)
  // must not abandon posts in flight, whose outcomes would then never be recorded and whose
  // redelivery would flag good posts "outcome unknown". The window counts each recorded outcome
  // on the run before the call settles.
  const submitted = window.submit(message.runId, message.candidate, message.callIds);
  queued();
  const settled = await submitted;

  const results = settled.flatMap((r) => (r.ok ? [r.value] : []));
  const failures = settled.flatMap((r) => (r.ok ? [] : [r.error]));
  let budgetExhausted = false;
  // A call already settled or caught mid-post means this message was delivered before, by a
  // writer that may have died before moving the run's counters: the run is then recounted.
  const redelivered = results.some((r) => r.kind === 'skipped' || (r.kind === 'outcome' && r.redelivered));
  const retries: string[] = [];
  for (const result of results) {
    if (result.kind === 'outcome') outcomes[result.status] = (outcomes[result.status] ?? 0) + 1;
    else if (result.kind === 'budget') budgetExhausted = true;
    else if (result.kind === 'retry') retries.push(result.reason);
  }
  // The run's counters move by what this message recorded, in one write shared with the other
  // keys' messages ending now, before the message can end or fail: a redelivery that finds its
  // calls settled recounts the run, for a writer that died before this write.
  const done = Object.values(outcomes).reduce((sum, n) => sum + n, 0);
  const requests = window.takeRequestsUsed();
  if (done > 0 || requests > 0) {
    await sharedCommits(deps).counters.submit([
      {
        runId: message.runId,
        counts: { ...outcomes, [SyncStatus.InProgress]: -done },
        vanRequestsUsed: requests,
        vanDone: done,
      },
    ]);
  }
  if (deps.registry) {
    pipelineMetricsFor(deps.registry).budgetRemaining.set(
      { candidate: message.candidate },
      await access.budgetRemaining(),
    );
  }
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
    // Every other call's outcome is recorded and counted; the redelivery finds them settled and
    // posts only what never left.
    const first = failures[0] as Error;
    throw new RetryLaterError(`${failures.length} calls failed before or after posting: ${first.message}`, {
      cause: first,
    });
  }
  if (retries.length > 0) throw new RetryLaterError(`${retries.length} calls to try again: ${retries[0]}`);
  await advanceRun(deps, message.runId, { exact: redelivered, readRun });
  return { outcomes, budgetExhausted };
}
