import type { Db } from 'mongodb';
import { Gauge, type Registry } from '@call-sync/platform';
import { listJobRuns, type JobRunDocument } from '@call-sync/store';
import { sharedRead } from './metrics-snapshot';

/**
 * The extractor's commands run as CronJobs and exit, so their health is served here, by the one
 * service that is always up, from the record each command leaves in `job_runs`. Not a
 * Pushgateway: the record is durable, needs no extra server, and a job that stopped starting
 * shows as a success time that grows old. Alert when
 * `callsync_job_last_success_timestamp_seconds{command="extract"}` is older than an hour and a bit.
 * The label is `command`, not `job`: Prometheus sets `job` on every target, and a metric's own
 * `job` would be renamed `exported_job` under the Prometheus Operator.
 */
export function registerJobMetrics(db: Db, registry: Registry): void {
  const jobs = sharedRead(() => listJobRuns(db), [] as JobRunDocument[]);
  const gauge = (name: string, help: string, value: (job: JobRunDocument) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['command'],
      registers: [registry],
      async collect() {
        for (const job of await jobs()) {
          const current = value(job);
          if (current !== undefined) this.set({ command: job._id }, current);
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
  new Gauge({
    name: 'callsync_archive_kept_back_calls',
    help: 'Calls past the retention the last archive run left in calls, by reason (unsynced | in_progress | outcome_unknown)',
    labelNames: ['reason'],
    registers: [registry],
    async collect() {
      const archive = (await jobs()).find((job) => job._id === 'archive');
      for (const reason of ['unsynced', 'in_progress', 'outcome_unknown'])
        this.set({ reason }, archive?.lastDetails?.[reason] ?? 0);
    },
  });
  gauge(
    'callsync_job_last_duration_seconds',
    'How long the last run of each extractor command took',
    (job) => job.lastDurationSeconds,
  );
}
