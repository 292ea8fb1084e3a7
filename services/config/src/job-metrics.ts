import type { Db } from 'mongodb';
import { Gauge, type Registry } from '@call-sync/platform';
import { listJobRuns, type JobRunDocument } from '@call-sync/store';

/**
 * The extractor's commands run as CronJobs and exit, so their health is served here, by the one
 * service that is always up: alert when `callsync_job_last_success_timestamp_seconds{job="extract"}`
 * is older than an hour and a bit, and when the last outcome is an error.
 */
export function registerJobMetrics(db: Db, registry: Registry): void {
  // The three gauges are collected concurrently on each scrape; they share one read of Mongo.
  let read: { at: number; jobs: Promise<JobRunDocument[]> } | undefined;
  const jobs = (): Promise<JobRunDocument[]> => {
    if (!read || Date.now() - read.at > 1_000) {
      read = { at: Date.now(), jobs: listJobRuns(db).catch(() => []) };
    }
    return read.jobs;
  };
  const gauge = (name: string, help: string, value: (job: JobRunDocument) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['job'],
      registers: [registry],
      async collect() {
        for (const job of await jobs()) {
          const current = value(job);
          if (current !== undefined) this.set({ job: job._id }, current);
        }
      },
    });
  gauge(
    'callsync_job_last_success_timestamp_seconds',
    'When each extractor command last finished without error (Unix seconds)',
    (job) => (job.lastSuccessAt ? job.lastSuccessAt.getTime() / 1000 : undefined),
  );
  gauge(
    'callsync_job_last_run_failed',
    '1 when the last run of the extractor command ended in an error, else 0',
    (job) => (job.lastOutcome === 'error' ? 1 : 0),
  );
  gauge(
    'callsync_job_last_duration_seconds',
    'How long the last run of each extractor command took',
    (job) => job.lastDurationSeconds,
  );
}
