import { easternTime, makeCall } from './support/calls';
import { useConfigWorld } from './support/config-world';

// A dry run of a `bulk` candidate, through the started service: its VAN-bound calls are rows of
// Bulk Import jobs, not posts. With VAN_BULK_MAX_ROWS_PER_JOB=4 (the van-writer's variable), 10
// rows make 3 jobs: 1 mapping-types read, then per job its creation, a status read and its
// results file = 1 + 3 × 3 = 10 requests, where posting call by call would take 10 posts.

const world = useConfigWorld({ VAN_BULK_MAX_ROWS_PER_JOB: '4' });
beforeAll(async () => {
  expect((await world.api('/candidates')).status).toBe(200);
  world.base.tables
    .Listing!.filter((row) => row.fields['Reference Name'] === 'Good Candidate')
    .forEach((row) => (row.fields.Strategy = 'bulk'));
  expect((await world.api('/config/refresh', { method: 'POST' })).status).toBe(200);
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (response: Response): Promise<any> => response.json();

test('a bulk dry run counts its calls as Bulk Import rows, with the requests its jobs take', async () => {
  const day = '2026-09-16';
  await world.db.collection('calls').insertMany([
    // 'strong support' and 'not home' go to VAN; 'leaning' only to a CSV; 'dropped' nowhere.
    ...Array.from({ length: 6 }, (_, i) =>
      makeCall({ timestamp: easternTime(day, 18, i), full_on_screen_result: 'strong support' }),
    ),
    ...Array.from({ length: 4 }, (_, i) =>
      makeCall({ timestamp: easternTime(day, 19, i), full_on_screen_result: 'not home' }),
    ),
    makeCall({ timestamp: easternTime(day, 20, 1), full_on_screen_result: 'leaning' }),
    makeCall({ timestamp: easternTime(day, 20, 2), full_on_screen_result: 'dropped', dropped: true }),
  ]);
  const response = await world.api('/runs/good-candidate', {
    method: 'POST',
    body: JSON.stringify({ window: day, dryRun: true }),
    headers: { 'content-type': 'application/json' },
  });
  expect(response.status).toBe(201);
  const run = await json(response);
  expect(run.strategy).toBe('bulk');
  expect(run.dryRunResult).toMatchObject({
    calls: 12,
    byRoute: { van: 0, 'van-bulk': 10, csv: 0, 'csv-after-van': 0, none: 2 },
    bulkImport: { rows: 10, jobs: 3, perCallRequests: 10 },
  });
  expect(run.dryRunResult.vanRequests).toMatchObject({ canvassPosts: 0, bulkImport: 10 });
  expect(run.dryRunResult.vanRequests.total).toBe(10 + run.dryRunResult.vanRequests.metadata);

  const stored = await world.db.collection('runs').findOne({ _id: run.runId });
  expect(stored?.dryRunPlan).toMatchObject({ vanPosts: 0, bulkRows: 10 });
  expect(world.van.journal()).toEqual([]);
  expect(world.van.bulkImport.jobs()).toEqual([]);

  const page = await (await world.api(`/runs/${run.runId}`, { headers: { accept: 'text/html' } })).text();
  expect(page).toContain(
    '10 rows in 3 VAN Bulk Import jobs (10 requests, where posting call by call takes 10)',
  );
});
