// The van-writer's writes to MongoDB, gathered across every key's window (group-commit.ts): the
// posting marks, the outcomes and the runs' counters, and its reads of calls and runs. Each keeps
// the at-most-once order of its window: a post leaves only after its mark's write, a call settles
// only after its outcome's.

import type { Db } from 'mongodb';
import {
  findRuns,
  incrementRunsCounters,
  markPostingCalls,
  POSTING_LEASE_MS,
  readCallsToPost,
  recordOutcomes,
  renewPostingLeases,
  type BatchPostingMark,
  type MarkedCall,
  type MarkedOutcome,
  type PostingMarkEntry,
  type RunCounterDeltas,
  type RunDocument,
} from '@call-sync/store';
import { GroupCommit } from './group-commit';

const RECORD_ATTEMPTS = 5;
/**
 * Outcomes wait a few ms for more before they leave: at 600 posts a second over forty keys a
 * write otherwise carried ~5 statements, and the driver's work is per command. Marks do not wait:
 * a post leaves only after its mark, and the keys' pace follows.
 */
const OUTCOME_LINGER = { lingerMs: 5 };

export interface WriterCommits {
  marks: GroupCommit<PostingMarkEntry, BatchPostingMark>;
  /** Calls read ahead of their marks, while they wait for their key (readCallsToPost). */
  callsToPost: GroupCommit<string, MarkedCall | null>;
  /** Per entry, whether this write recorded it (false: the call had its outcome already). */
  outcomes: GroupCommit<MarkedOutcome, boolean>;
  counters: GroupCommit<RunCounterDeltas & { runId: string }, void>;
  /** Reads of runs by id: the messages of many keys that end together read their runs at once. */
  runs: GroupCommit<string, RunDocument | null>;
  /** The marks this process holds while their posts are out, kept alive. */
  leases: Pick<LeaseKeeper, 'hold' | 'drop'>;
}

/** A mark this writer holds while its post is out: its request and when its lease ends. */
export interface HeldLease {
  requestId: string;
  /** Epoch ms; never later than the lease MongoDB holds (taken from before the write). */
  until: number;
}

/**
 * The held marks whose leases must be renewed at a tick: those that would end within two ticks,
 * so a lease always has at least a tick to run when the next tick comes. A post answered within
 * a tick of its mark (nearly all of them) is never rewritten.
 */
export function leasesToRenew(held: ReadonlyMap<string, HeldLease>, now: number, tickMs: number): string[] {
  const due: string[] = [];
  for (const [callId, lease] of held) if (lease.until - now <= 2 * tickMs) due.push(callId);
  return due;
}

/**
 * Renews the leases of the marks this writer holds while their posts are out, those near their
 * end at each third of a lease: a post may take VAN's whole timeout, yet a writer that dies
 * leaves marks that lapse within one lease, and whoever finds its calls then flags them for a
 * person. Renewing every held mark at every tick rewrote hundreds of marks whose posts end in a
 * moment, and every key's writes queued behind them.
 */
class LeaseKeeper {
  private readonly held = new Map<string, HeldLease>();
  private timer: NodeJS.Timeout | undefined;
  private renewing = false;

  constructor(
    private readonly db: Db,
    private readonly leaseMs: number,
  ) {}

  /** `markedAt`: a time no later than the mark's write, from which its lease runs. */
  hold(callId: string, requestId: string, markedAt = Date.now()): void {
    this.held.set(callId, { requestId, until: markedAt + this.leaseMs });
    if (!this.timer) {
      this.timer = setInterval(() => void this.renew(), this.tickMs());
      this.timer.unref();
    }
  }

  drop(callId: string): void {
    this.held.delete(callId);
    if (this.held.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tickMs(): number {
    return this.leaseMs / 3;
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.held.size === 0) return;
    this.renewing = true;
    const now = Date.now();
    const until = now + this.leaseMs;
    const marks = leasesToRenew(this.held, now, this.tickMs()).map((callId) => ({
      callId,
      requestId: this.held.get(callId)!.requestId,
    }));
    try {
      await renewPostingLeases(this.db, marks, new Date(until));
      for (const { callId, requestId } of marks) {
        const lease = this.held.get(callId);
        if (lease?.requestId === requestId) lease.until = until;
      }
    } catch {
      // MongoDB blinked: the next tick tries again; a lease that lapses meanwhile only makes a
      // redelivery flag the call for a person, never post it.
    } finally {
      this.renewing = false;
    }
  }
}

export function writerCommits(db: Db, leaseMs = POSTING_LEASE_MS): WriterCommits {
  return {
    leases: new LeaseKeeper(db, leaseMs),
    marks: new GroupCommit((entries) => markPostingCalls(db, entries, new Date(), leaseMs)),
    callsToPost: new GroupCommit((callIds) => readCallsToPost(db, callIds)),
    outcomes: new GroupCommit(async (entries) => {
      // A post that VAN accepted must not end as "outcome unknown" because Mongo blinked: a few
      // tries, with the same time so a retry recognises what the failed one recorded, before the
      // message is given back (whose redelivery would flag it for a person).
      const now = new Date();
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await recordOutcomes(db, entries, now);
        } catch (error) {
          if (attempt >= RECORD_ATTEMPTS) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        }
      }
    }, OUTCOME_LINGER),
    counters: new GroupCommit(async (deltas) => {
      await incrementRunsCounters(db, deltas);
      return deltas.map(() => undefined);
    }),
    runs: new GroupCommit((runIds) => findRuns(db, runIds)),
  };
}
