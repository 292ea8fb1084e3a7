import type { Collection, Db } from 'mongodb';
import { Collections } from '@call-sync/platform';

interface ImportRowError {
  line: number;
  message: string;
  /** The row as the file has it (absent on jobs stored before rows were kept). */
  text?: string;
}

export interface ImportCounts {
  /** Data rows read (the header excluded). */
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  testAccountsSkipped: number;
  errors: number;
}

/** An upload of the dialer's call export, readable while it runs (`GET /calls/imports/:id`). */
export interface ImportJobDocument {
  _id: string;
  importId: string;
  state: 'running' | 'completed' | 'failed';
  fileName?: string;
  serviceName?: string;
  /** The name of the token that uploaded it (absent on older jobs). */
  by?: string;
  bytesRead: number;
  counts: ImportCounts;
  /** The first errors, with their line numbers; `counts.errors` has how many there were. */
  rowErrors: ImportRowError[];
  startedAt: Date;
  updatedAt: Date;
  finishedAt?: Date;
  durationMs?: number;
  error?: string;
}

/**
 * A running import refreshes its document at least this often (importCallExport's heartbeat).
 * One older than `IMPORT_STALE_AFTER_MS` lost its config process (killed, evicted): nobody will
 * finish it, so it is read as failed rather than shown running forever.
 */
export const IMPORT_HEARTBEAT_MS = 10_000;
const IMPORT_STALE_AFTER_MS = 6 * IMPORT_HEARTBEAT_MS;

const INTERRUPTED =
  'interrupted: the config service stopped during this import. Every row it stored is kept; ' +
  'upload the same file again to store the rest (an upload never stores a call twice).';

export interface ImportsRepository {
  create(job: ImportJobDocument): Promise<void>;
  update(importId: string, changes: Partial<ImportJobDocument>): Promise<void>;
  get(importId: string): Promise<ImportJobDocument | null>;
  list(limit: number): Promise<ImportJobDocument[]>;
}

export function createImportsRepository(db: Db): ImportsRepository {
  const imports: Collection<ImportJobDocument> = db.collection(Collections.Imports);
  /** Settles an import whose process is gone; only if it is still the stale document we read. */
  const settleIfAbandoned = async (job: ImportJobDocument): Promise<ImportJobDocument> => {
    if (job.state !== 'running' || Date.now() - job.updatedAt.getTime() < IMPORT_STALE_AFTER_MS) return job;
    const settled = {
      state: 'failed' as const,
      error: INTERRUPTED,
      finishedAt: job.updatedAt,
      durationMs: job.updatedAt.getTime() - job.startedAt.getTime(),
    };
    await imports.updateOne({ _id: job._id, state: 'running', updatedAt: job.updatedAt }, { $set: settled });
    return { ...job, ...settled };
  };
  return {
    async create(job) {
      await imports.insertOne(job);
    },
    async update(importId, changes) {
      await imports.updateOne({ _id: importId }, { $set: { ...changes, updatedAt: new Date() } });
    },
    async get(importId) {
      const job = await imports.findOne({ _id: importId });
      return job && settleIfAbandoned(job);
    },
    async list(limit) {
      const jobs = await imports
        .find({}, { projection: { rowErrors: 0 } })
        .sort({ startedAt: -1 })
        .limit(limit)
        .toArray();
      return Promise.all(jobs.map(settleIfAbandoned));
    },
  };
}
