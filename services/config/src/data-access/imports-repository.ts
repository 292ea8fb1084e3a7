import type { Collection, Db } from 'mongodb';
import { Collections } from '@call-sync/platform';

export interface ImportRowError {
  line: number;
  message: string;
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

export interface ImportsRepository {
  create(job: ImportJobDocument): Promise<void>;
  update(importId: string, changes: Partial<ImportJobDocument>): Promise<void>;
  get(importId: string): Promise<ImportJobDocument | null>;
  list(limit: number): Promise<ImportJobDocument[]>;
}

export function createImportsRepository(db: Db): ImportsRepository {
  const imports: Collection<ImportJobDocument> = db.collection(Collections.Imports);
  return {
    async create(job) {
      await imports.insertOne(job);
    },
    async update(importId, changes) {
      await imports.updateOne({ _id: importId }, { $set: { ...changes, updatedAt: new Date() } });
    },
    get: (importId) => imports.findOne({ _id: importId }),
    list: (limit) =>
      imports
        .find({}, { projection: { rowErrors: 0 } })
        .sort({ startedAt: -1 })
        .limit(limit)
        .toArray(),
  };
}
