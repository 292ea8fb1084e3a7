// The van-writer's writes to MongoDB, gathered across every key's window (group-commit.ts): the
// posting marks, the outcomes and the runs' counters. Each keeps the at-most-once order of its
// window: a post leaves only after its mark's write, a call settles only after its outcome's.

import type { Db } from 'mongodb';
import {
  incrementRunsCounters,
  markPostingCalls,
  recordOutcomes,
  type BatchPostingMark,
  type MarkedOutcome,
  type RunCounterDeltas,
} from '@call-sync/store';
import { GroupCommit } from './group-commit';

const RECORD_ATTEMPTS = 5;

export interface WriterCommits {
  marks: GroupCommit<{ runId: string; callId: string }, BatchPostingMark>;
  /** Per entry, whether this write recorded it (false: the call had its outcome already). */
  outcomes: GroupCommit<MarkedOutcome, boolean>;
  counters: GroupCommit<RunCounterDeltas & { runId: string }, void>;
}

export function writerCommits(db: Db, postLeaseMs?: number): WriterCommits {
  return {
    marks: new GroupCommit((entries) => markPostingCalls(db, entries, new Date(), postLeaseMs)),
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
  };
}
