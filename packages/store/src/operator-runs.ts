// The `runs` collection as the operator API reads it and records an operator's run request.

import type { Db, Filter } from 'mongodb';
import type { RunState } from '@call-sync/core';
import { runsCollection, type RunDocument } from './collections';

interface RunListFilter {
  candidate?: string;
  /** Any of these candidates (an organiser's token limited to them). */
  candidates?: string[];
  state?: RunState;
  limit: number;
}

export interface OperatorRuns {
  insert(run: RunDocument): Promise<void>;
  get(runId: string): Promise<RunDocument | null>;
  list(filter: RunListFilter): Promise<RunDocument[]>;
  /** An operator's request the extractor has not picked up yet, to refuse a double click. */
  findOpenRequest(candidate: string): Promise<RunDocument | null>;
}

export function createOperatorRuns(db: Db): OperatorRuns {
  const runs = runsCollection(db);
  return {
    async insert(run) {
      await runs.insertOne(run);
    },
    get: (runId) => runs.findOne({ _id: runId }),
    list({ candidate, candidates, state, limit }) {
      const filter: Filter<RunDocument> = {};
      if (candidate) filter.candidate = candidate;
      else if (candidates) filter.candidate = { $in: candidates };
      if (state) filter.state = state;
      return runs.find(filter).sort({ openedAt: -1 }).limit(limit).toArray();
    },
    findOpenRequest: (candidate) =>
      runs.findOne({ candidate, trigger: 'request', state: 'open', dryRun: false }),
  };
}
