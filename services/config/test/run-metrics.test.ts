import { emptyRunCounts, fingerprintApiKey, type RunCounts } from '@call-sync/core';
import { Collections } from '@call-sync/platform';
import { makeCall } from '../../../test/support/calls';
import { measuredCandidates } from '../src/run-metrics';
import { useConfigWorld, VAN_KEY_MYVOTERS } from './support/config-world';
import { easternTodayAwayFromMidnight } from './support/eastern-today';

// The pipeline's state as Prometheus sees it: the config service reads runs, reports, calls and
// the VAN budget from MongoDB on each scrape. Arranged here as the pipeline would leave them.

const HOUR = 3_600_000;
const world = useConfigWorld({ VAN_DAILY_BUDGET: '500' });

const counts = (set: Partial<RunCounts>): RunCounts => ({ ...emptyRunCounts(), ...set });

function run(id: string, candidate: string, fields: Record<string, unknown>): Record<string, unknown> {
  return {
    _id: id,
    runId: id,
    candidate,
    trigger: 'schedule',
    window: { start: new Date(Date.now() - 30 * HOUR), end: new Date(Date.now() - 5 * HOUR) },
    scheduledAt: new Date(Date.now() - 3 * HOUR),
    dryRun: false,
    callsClaimed: 0,
    counts: counts({}),
    ...fields,
  };
}

/** The value of one sample of /metrics, found by name and exact label set. */
function sample(metrics: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of metrics.split('\n')) {
    const match = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]).filter(([k]) => k !== 'component'),
    );
    if (JSON.stringify(found) === JSON.stringify(labels)) return Number(match[3]);
  }
  return undefined;
}

test('runs, reports, unknown outcomes, CSV exports and the VAN budget are served per active candidate', async () => {
  const now = Date.now();
  const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR);
  await world.db.collection(Collections.Runs).insertMany([
    run('good-1', 'good-candidate', {
      state: 'completed',
      counts: counts({ finished: 8, attempted_error: 2 }),
      openedAt: at(3),
      updatedAt: at(2),
      finishedAt: at(2),
      csvExport: { key: 'a.csv', uploadedAt: at(2), rows: 10 },
      leftBehind: { calls: 0, before: at(30), since: at(100) },
    }),
    run('broken-old', 'broken-candidate', {
      state: 'completed',
      openedAt: at(31),
      updatedAt: at(30),
      finishedAt: at(30),
      // The latest scheduled run's count is served; requested runs count nothing.
      leftBehind: { calls: 9, before: at(40), since: at(100) },
    }),

    run('broken-failed', 'broken-candidate', {
      trigger: 'request',
      state: 'failed',
      openedAt: at(2),
      updatedAt: at(1),
      finishedAt: at(1),
    }),
    run('broken-live', 'broken-candidate', {
      trigger: 'request',
      state: 'writing',
      openedAt: at(1),
      updatedAt: new Date(now - 50 * 60_000),
    }),
  ]);
  await world.db.collection(Collections.Reports).insertOne({
    _id: 'good-1' as never,
    runId: 'good-1',
    candidate: 'good-candidate',
    createdAt: at(2),
  });
  await world.db
    .collection(Collections.Calls)
    .insertMany([
      { ...makeCall({ id: 'u1', client: 'good-candidate', timestamp: at(5) }), outcome_unknown: true },
      { ...makeCall({ id: 'u2', client: 'good-candidate', timestamp: at(5) }), outcome_unknown: true },
      { ...makeCall({ id: 'k1', client: 'good-candidate', timestamp: at(5) }) },
    ]);
  const key = fingerprintApiKey(VAN_KEY_MYVOTERS);
  const day = await easternTodayAwayFromMidnight();
  await world.db
    .collection(Collections.VanBudgets)
    .insertOne({ _id: `${key}:${day}` as never, keyFingerprint: key, day, used: 120 });
  // A page request, to be timed by its route template.
  expect((await world.api('/candidates')).status).toBe(200);

  const metrics = await (await fetch(`${world.service.url}/metrics`)).text();
  const value = (name: string, labels: Record<string, string>) => sample(metrics, name, labels);

  expect(value('callsync_runs', { candidate: 'good-candidate', state: 'completed' })).toBe(1);
  // The completed run of 30 hours ago is no longer counted; the failed and the live one are.
  expect(value('callsync_runs', { candidate: 'broken-candidate', state: 'completed' })).toBe(0);
  expect(value('callsync_runs', { candidate: 'broken-candidate', state: 'failed' })).toBe(1);
  expect(value('callsync_runs', { candidate: 'broken-candidate', state: 'writing' })).toBe(1);
  expect(value('callsync_runs', { candidate: 'csv-candidate', state: 'open' })).toBe(0);
  // Inactive candidates are not measured.
  expect(value('callsync_runs', { candidate: 'myc-candidate', state: 'open' })).toBeUndefined();

  expect(value('callsync_last_run_failed', { candidate: 'good-candidate' })).toBe(0);
  expect(value('callsync_last_run_failed', { candidate: 'broken-candidate' })).toBe(1);
  expect(value('callsync_last_run_failed', { candidate: 'csv-candidate' })).toBeUndefined();
  expect(value('callsync_last_run_calls', { candidate: 'good-candidate', status: 'finished' })).toBe(8);
  expect(value('callsync_last_run_calls', { candidate: 'good-candidate', status: 'attempted_error' })).toBe(
    2,
  );
  expect(value('callsync_last_run_calls', { candidate: 'good-candidate', status: 'ignored' })).toBe(0);

  // Only scheduled runs count as the night's run: broken-candidate's latest two are requests.
  expect(value('callsync_last_scheduled_run_timestamp_seconds', { candidate: 'good-candidate' })).toBe(
    (now - 3 * HOUR) / 1000,
  );
  expect(value('callsync_last_scheduled_run_timestamp_seconds', { candidate: 'broken-candidate' })).toBe(
    (now - 31 * HOUR) / 1000,
  );
  expect(value('callsync_last_scheduled_run_timestamp_seconds', { candidate: 'csv-candidate' })).toBe(0);

  const idle = value('callsync_live_run_idle_seconds', { candidate: 'broken-candidate' });
  expect(idle).toBeGreaterThanOrEqual(50 * 60);
  expect(idle).toBeLessThan(50 * 60 + 30);
  expect(value('callsync_live_run_idle_seconds', { candidate: 'good-candidate' })).toBe(0);

  expect(value('callsync_last_report_timestamp_seconds', { candidate: 'good-candidate' })).toBe(
    (now - 2 * HOUR) / 1000,
  );
  expect(value('callsync_last_report_timestamp_seconds', { candidate: 'broken-candidate' })).toBe(0);

  expect(value('callsync_calls_outcome_unknown', { candidate: 'good-candidate' })).toBe(2);
  expect(value('callsync_calls_outcome_unknown', { candidate: 'broken-candidate' })).toBe(0);
  expect(value('callsync_candidate_info', { candidate: 'good-candidate', sync_mode: 'nightly' })).toBe(1);
  expect(
    value('callsync_candidate_info', { candidate: 'myc-candidate', sync_mode: 'nightly' }),
  ).toBeUndefined();
  expect(value('callsync_calls_left_behind', { candidate: 'broken-candidate' })).toBe(9);
  expect(value('callsync_calls_left_behind', { candidate: 'good-candidate' })).toBe(0);

  expect(value('callsync_csv_exports', { candidate: 'good-candidate', kind: 'results' })).toBe(1);
  expect(value('callsync_csv_export_rows', { candidate: 'good-candidate', kind: 'results' })).toBe(10);
  expect(value('callsync_csv_exports', { candidate: 'good-candidate', kind: 'callers' })).toBe(0);

  // Both VAN candidates share one key: 500 a day, 120 spent. The CSV-only candidate has no key.
  expect(value('callsync_van_budget_remaining_today', { candidate: 'good-candidate' })).toBe(380);
  expect(value('callsync_van_budget_remaining_today', { candidate: 'broken-candidate' })).toBe(380);
  expect(value('callsync_van_budget_remaining_today', { candidate: 'csv-candidate' })).toBeUndefined();
  expect(metrics).toMatch(/^callsync_van_budget_daily_limit\{component="config"\} 500$/m);

  expect(
    value('callsync_http_request_duration_seconds_count', {
      method: 'GET',
      route: '/candidates',
      status: '200',
    }),
  ).toBe(1);
  // Scrapes and probes are not timed.
  expect(metrics).not.toMatch(/route="\/metrics"/);
  expect(metrics).not.toContain(VAN_KEY_MYVOTERS);
}, 200_000);

test("a candidate's Sync Mode is what its info series is labelled with", () => {
  const candidate = (slug: string, syncMode: string, active = true) => ({
    candidate: { slug, active, apiKey: undefined, syncMode },
  });
  expect(
    measuredCandidates([
      candidate('day', 'nightly'),
      candidate('live', 'continuous'),
      candidate('off', 'continuous', false),
    ]),
  ).toEqual([
    { slug: 'day', syncMode: 'nightly' },
    { slug: 'live', syncMode: 'continuous' },
  ]);
});
