import { recordJobRun } from '@call-sync/store';
import { useConfigWorld } from './support/config-world';

// The extractor is a CronJob that exits; the config service serves how its commands last ended.

const world = useConfigWorld();

function sample(metrics: string, name: string, command: string): number | undefined {
  const line = metrics
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && l.includes(`command="${command}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('the last run of each extractor command is served as metrics: success time, failure flag, duration', async () => {
  const startedAt = new Date('2026-11-03T03:00:00Z');
  await recordJobRun(world.db, 'extract', {
    startedAt,
    finishedAt: new Date(startedAt.getTime() + 42_000),
    outcome: 'ok',
  });
  await recordJobRun(world.db, 'archive', {
    startedAt,
    finishedAt: startedAt,
    outcome: 'ok',
    details: { moved: 120, restored: 0, unsynced: 4, in_progress: 0, outcome_unknown: 2 },
  });
  await recordJobRun(world.db, 'archive', {
    startedAt: new Date(startedAt.getTime() + 3_600_000),
    finishedAt: new Date(startedAt.getTime() + 3_601_000),
    outcome: 'error',
    error: 'MongoDB unavailable',
  });

  const metrics = await (await fetch(`${world.service.url}/metrics`)).text();
  expect(sample(metrics, 'callsync_job_last_success_timestamp_seconds', 'extract')).toBe(
    startedAt.getTime() / 1000 + 42,
  );
  expect(sample(metrics, 'callsync_job_last_duration_seconds', 'extract')).toBe(42);
  expect(sample(metrics, 'callsync_job_last_run_failed', 'extract')).toBe(0);
  // A failed run keeps the time of the last success, so the staleness alert still measures from it.
  expect(sample(metrics, 'callsync_job_last_run_failed', 'archive')).toBe(1);
  expect(sample(metrics, 'callsync_job_last_success_timestamp_seconds', 'archive')).toBe(
    startedAt.getTime() / 1000,
  );
});

test('what the last archive kept back is served by reason', async () => {
  const metrics = await (await fetch(`${world.service.url}/metrics`)).text();
  const kept = (reason: string) =>
    Number(
      metrics
        .split('\n')
        .find((l) => l.startsWith('callsync_archive_kept_back_calls{') && l.includes(`reason="${reason}"`))
        ?.split(' ')
        .pop(),
    );
  // The failed run after it recorded no details: the kept-back counts are the last ones known.
  expect([kept('unsynced'), kept('in_progress'), kept('outcome_unknown')]).toEqual([4, 0, 2]);
});
