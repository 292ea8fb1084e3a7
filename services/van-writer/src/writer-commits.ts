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

/**
 * Renews the leases of the marks this writer holds while their posts are out, a third of a lease
 * at a time: a post may take VAN's whole timeout, yet a writer that dies leaves marks that lapse
 * within one lease, and whoever finds its calls then flags them for a person.
 */
class LeaseKeeper {
  private readonly held = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private renewing = false;

  constructor(
    private readonly db: Db,
    private readonly leaseMs: number,
  ) {}

  hold(callId: string, requestId: string): void {
    this.held.set(callId, requestId);
    if (!this.timer) {
      this.timer = setInterval(() => void this.renew(), this.leaseMs / 3);
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

  private async renew(): Promise<void> {
    if (this.renewing || this.held.size === 0) return;
    this.renewing = true;
    const marks = [...this.held].map(([callId, requestId]) => ({ callId, requestId }));
    try {
      await renewPostingLeases(this.db, marks, new Date(Date.now() + this.leaseMs));
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
    }),
    counters: new GroupCommit(async (deltas) => {
      await incrementRunsCounters(db, deltas);
      return deltas.map(() => undefined);
    }),
    runs: new GroupCommit((runIds) => findRuns(db, runIds)),
  };
}
