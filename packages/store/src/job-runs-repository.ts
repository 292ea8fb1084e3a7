import type { Collection, Db } from 'mongodb';
import { Collections } from '@call-sync/platform';

/**
 * The extractor runs as a one-shot CronJob: its own /metrics live only while it runs, so nothing
 * scrapes them. Each command records how it ended here, and the long-running config service serves
 * it as metrics — a CronJob that silently stopped running shows as a timestamp that grows old.
 */
export interface JobRunDocument {
  /** The command: extract, resume, archive, audit-reports. */
  _id: string;
  lastStartedAt: Date;
  lastFinishedAt: Date;
  lastOutcome: 'ok' | 'error';
  lastDurationSeconds: number;
  lastSuccessAt?: Date;
  lastError?: string;
  /** What the command's last run has to say beyond its outcome (the archive: what it kept back). */
  lastDetails?: Record<string, number>;
}

function jobRunsCollection(db: Db): Collection<JobRunDocument> {
  return db.collection<JobRunDocument>(Collections.JobRuns);
}

export async function recordJobRun(
  db: Db,
  job: string,
  run: {
    startedAt: Date;
    finishedAt: Date;
    outcome: 'ok' | 'error';
    error?: string;
    details?: Record<string, number>;
  },
): Promise<void> {
  const set: Partial<JobRunDocument> = {
    lastStartedAt: run.startedAt,
    lastFinishedAt: run.finishedAt,
    lastOutcome: run.outcome,
    lastDurationSeconds: (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000,
  };
  if (run.outcome === 'ok') set.lastSuccessAt = run.finishedAt;
  if (run.details) set.lastDetails = run.details;
  const update = run.error
    ? { $set: { ...set, lastError: run.error } }
    : { $set: set, $unset: { lastError: '' as const } };
  await jobRunsCollection(db).updateOne({ _id: job }, update, { upsert: true });
}

export function listJobRuns(db: Db): Promise<JobRunDocument[]> {
  return jobRunsCollection(db).find().toArray();
}
