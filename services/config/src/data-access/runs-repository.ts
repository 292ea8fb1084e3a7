import type { Collection, Db, Filter } from 'mongodb';
import { Collections } from '@call-sync/platform';
import type { Run, RunState, Strategy } from '@call-sync/core';
import type { DryRunResult } from '../dry-run';

/**
 * A `runs` document: the core Run with `_id = runId`. The pipeline adds fields as it works
 * (strategy, vanRequestsUsed, csvUrl, progress); they are read when present, never required.
 */
export interface RunDocument extends Run {
  _id: string;
  strategy?: Strategy;
  vanRequestsUsed?: number;
  /** A `bulk` run's jobs; `calls` is what posting them one by one would have spent. */
  bulkImport?: { calls?: number; requests?: number };
  csvUrl?: string;
  progress?: unknown;
  dryRunResult?: DryRunResult;
}

export interface RunListFilter {
  candidate?: string;
  /** Any of these candidates (an organiser's token limited to them). */
  candidates?: string[];
  state?: RunState;
  limit: number;
}

export interface RunsRepository {
  insert(run: RunDocument): Promise<void>;
  get(runId: string): Promise<RunDocument | null>;
  list(filter: RunListFilter): Promise<RunDocument[]>;
  /** An operator's request the extractor has not picked up yet, to refuse a double click. */
  findOpenRequest(candidate: string): Promise<RunDocument | null>;
}

export function createRunsRepository(db: Db): RunsRepository {
  const runs: Collection<RunDocument> = db.collection(Collections.Runs);
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
