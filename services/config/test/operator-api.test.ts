import { addDays, easternDayOf, emptyRunCounts } from '@call-sync/core';
import { easternTime, makeCall } from './support/calls';
import { useConfigWorld } from './support/config-world';

const world = useConfigWorld();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (response: Response): Promise<any> => response.json();
const post = (path: string, body?: unknown) =>
  world.api(path, {
    method: 'POST',
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });

describe('run now', () => {
  test('records a run request the extractor can pick up, and refuses a second one while it waits', async () => {
    const response = await post('/runs/good-candidate?window=2026-10-20');
    expect(response.status).toBe(202);
    const body = await json(response);
    expect(response.headers.get('location')).toBe(`/runs/${body.runId}`);
    const stored = await world.db.collection('runs').findOne({ _id: body.runId });
    expect(stored).toEqual({
      _id: body.runId,
      runId: body.runId,
      candidate: 'good-candidate',
      trigger: 'request',
      state: 'open',
      window: { start: easternTime('2026-10-20', 0), end: easternTime('2026-10-21', 0) },
      scheduledAt: expect.any(Date),
      dryRun: false,
      callsClaimed: 0,
      counts: emptyRunCounts(),
      openedAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
    const again = await post('/runs/good-candidate');
    expect(again.status).toBe(409);
    expect(await json(again)).toMatchObject({ error: 'run_already_requested', runId: body.runId });
    await world.db.collection('runs').deleteOne({ _id: body.runId });
  });

  test('a dry run decides every unsynced call of the window, says what it would cost, and posts nothing', async () => {
    const day = '2026-09-14';
    const at = (minute: number) => easternTime(day, 18, minute);
    await world.db.collection('calls').insertMany([
      ...[1, 2, 3].map((i) => makeCall({ timestamp: at(i), full_on_screen_result: 'strong support' })),
      ...[4, 5].map((i) =>
        makeCall({ timestamp: at(i), full_on_screen_result: 'not home', display_name: 'Not home' }),
      ),
      makeCall({ timestamp: at(6), full_on_screen_result: 'leaning' }),
      makeCall({ timestamp: at(7), full_on_screen_result: 'dropped', dropped: true }),
      makeCall({ timestamp: at(8), full_on_screen_result: 'mystery result' }),
      makeCall({ timestamp: at(9), sync_status: 'finished' }),
      makeCall({ timestamp: easternTime('2026-09-15', 9) }), // outside the window
      makeCall({ timestamp: at(10), district: 'nc09' }), // another candidate's district
    ]);
    const response = await post('/runs/good-candidate', { window: day, dryRun: true });
    expect(response.status).toBe(201);
    const run = await json(response);
    expect(run.state).toBe('completed');
    expect(run.dryRun).toBe(true);
    expect(run.dryRunResult).toMatchObject({
      calls: 8,
      byRoute: { van: 5, 'van-bulk': 0, csv: 0, 'csv-after-van': 0, none: 3 },
      byStatus: { in_progress: 5, queued_for_csv: 1, ignored: 1, unattempted_error: 1 },
      byDisplayName: {
        'Strong support': 3,
        'Not home': 2,
        'Lean support': 1,
        Dropped: 1,
        'mystery result': 1,
      },
      errors: [{ error: 'missing config for mystery result', count: 1 }],
      vanRequests: { canvassPosts: 5, bulkImport: 0, metadata: 5, total: 10 },
      estimatedCostCents: 0,
    });
    expect(world.van.journal()).toEqual([]);
    const stored = await world.db.collection('runs').findOne({ _id: run.runId });
    expect(stored).toMatchObject({ state: 'completed', dryRun: true, dryRunResult: { calls: 8 } });
    expect(await world.db.collection('calls').countDocuments({ sync_status: { $exists: true } })).toBe(1);
  });

  test('bad parameters are refused with a reason', async () => {
    const badDay = await post('/runs/good-candidate?window=2026-13-01');
    expect(badDay.status).toBe(400);
    expect(await json(badDay)).toEqual({
      error: 'bad_parameter',
      detail: expect.stringMatching(/YYYY-MM-DD/),
    });
    expect((await post('/runs/good-candidate?dryRun=maybe')).status).toBe(400);
    expect((await post('/runs/good-candidate?window=2026-10-01&window=2026-10-02')).status).toBe(400);
    expect((await post('/runs/nobody')).status).toBe(404);
    const malformed = await world.api('/runs/good-candidate', {
      method: 'POST',
      body: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(await json(malformed)).toEqual({ error: 'bad_request', detail: expect.any(String) });
    const huge = await world.api('/runs/good-candidate', {
      method: 'POST',
      body: JSON.stringify({ padding: 'x'.repeat(200_000) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.status).toBe(413);
  });
});

describe('run status', () => {
  test('a run shows counts per status, progress, errors, receipts and timings', async () => {
    const runId = '3f2b1c4d-0000-4000-8000-00000000a001';
    const openedAt = new Date(Date.now() - 60_000);
    await world.db.collection('runs').insertOne({
      _id: runId as never,
      runId,
      candidate: 'good-candidate',
      trigger: 'schedule',
      state: 'writing',
      window: { start: easternTime('2026-10-19', 22), end: easternTime('2026-10-20', 22) },
      scheduledAt: openedAt,
      dryRun: false,
      callsClaimed: 5,
      counts: { ...emptyRunCounts(), finished: 1, in_progress: 4 },
      openedAt,
      updatedAt: new Date(),
      strategy: 'full',
      vanRequestsUsed: 7,
    });
    const at = easternTime('2026-10-20', 18);
    await world.db.collection('calls').insertMany([
      makeCall({
        timestamp: at,
        run_id: runId,
        sync_status: 'finished',
        receipt: {
          kind: 'van',
          vanId: 100001,
          dateCanvassed: 'x',
          requestId: 'r1',
          postedAt: at,
          httpStatus: 204,
        },
      }),
      makeCall({ timestamp: at, run_id: runId, sync_status: 'finished' }),
      makeCall({
        timestamp: at,
        run_id: runId,
        sync_status: 'attempted_error',
        error: "'resultCodeId' must be a valid result code",
      }),
      makeCall({
        timestamp: at,
        run_id: runId,
        sync_status: 'attempted_error',
        error: "'resultCodeId' must be a valid result code",
      }),
      makeCall({ timestamp: at, run_id: runId, sync_status: 'in_progress' }),
    ]);
    const response = await world.api(`/runs/${runId}`);
    expect(response.status).toBe(200);
    const run = await json(response);
    expect(run).toMatchObject({
      runId,
      state: 'writing',
      counts: { finished: 2, attempted_error: 2, in_progress: 1, ignored: 0 },
      progress: { settled: 4, total: 5, percent: 80 },
      errors: [{ error: "'resultCodeId' must be a valid result code", count: 2 }],
      receipts: [
        expect.objectContaining({
          sync_status: 'finished',
          receipt: expect.objectContaining({ vanId: 100001 }),
        }),
      ],
      vanRequestsUsed: 7,
      finishedAt: null,
      durationMs: null,
      report: null,
    });

    const list = await json(await world.api('/runs?candidate=good-candidate'));
    expect(list.runs.map((r: { runId: string }) => r.runId)).toContain(runId);
    expect(list.live).toBeGreaterThanOrEqual(1);

    const page = await (await world.api('/runs', { headers: { accept: 'text/html' } })).text();
    expect(page).toContain('class="progress"');
    expect(page).toContain(`href="/runs/${runId}"`);
    expect(page).toContain('http-equiv="refresh"');
  });

  test('a bulk run shows its VAN requests beside what posting call by call would have used', async () => {
    const runId = '3f2b1c4d-0000-4000-8000-00000000b001';
    const openedAt = new Date(Date.now() - 60_000);
    await world.db.collection('runs').insertOne({
      _id: runId as never,
      runId,
      candidate: 'good-candidate',
      trigger: 'schedule',
      state: 'completed',
      window: { start: easternTime('2026-10-19', 22), end: easternTime('2026-10-20', 22) },
      scheduledAt: openedAt,
      dryRun: false,
      callsClaimed: 1804,
      counts: { ...emptyRunCounts(), finished: 1804 },
      openedAt,
      updatedAt: new Date(),
      finishedAt: new Date(),
      strategy: 'bulk',
      vanRequestsUsed: 9,
      bulkImport: { attempt: 1, prepared: true, jobs: [], calls: 1804, requests: 9 },
    });
    const run = await json(await world.api(`/runs/${runId}`));
    expect(run).toMatchObject({ strategy: 'bulk', vanRequestsUsed: 9, vanRequestsPerCall: 1804 });
    const page = await (await world.api(`/runs/${runId}`, { headers: { accept: 'text/html' } })).text();
    expect(page).toContain('9 VAN requests (posting call by call: 1804)');
  });

  test('bad run queries are refused', async () => {
    expect((await world.api('/runs/not-a-uuid')).status).toBe(400);
    expect((await world.api('/runs/3f2b1c4d-0000-4000-8000-0000000fffff')).status).toBe(404);
    expect((await world.api('/runs?state=sleeping')).status).toBe(400);
    expect((await world.api('/runs?limit=0')).status).toBe(400);
    expect((await world.api('/runs?candidate=Bad%20Slug')).status).toBe(400);
  });
});

describe('reset', () => {
  test('answers the count first, and resets only with confirm=true, never a call a worker holds', async () => {
    const day = '2026-08-03';
    const at = easternTime(day, 19);
    const status = (sync_status: string, error = 'x') =>
      makeCall({ timestamp: at, sync_status: sync_status as never, run_id: 'old-run', error });
    const vanReceipt = {
      kind: 'van',
      vanId: 1,
      dateCanvassed: '2026-08-03T19:00:00-04:00',
      requestId: 'r-1',
      postedAt: at,
      httpStatus: 204,
    } as never;
    await world.db.collection('calls').insertMany([
      status('attempted_error'),
      {
        ...status('attempted_error', 'outcome unknown — check VAN before replaying (timeout)'),
        outcome_unknown: true,
      },
      status('unattempted_error'),
      { ...status('finished'), receipt: vanReceipt },
      {
        ...status('finished'),
        receipt: { kind: 'van-confirmed', confirmedBy: 'ana', confirmedAt: at, requestId: 'r-2' } as never,
      },
      { ...status('finished'), receipt: { kind: 'csv', url: 's3://b/k.csv' } as never },
      status('in_progress'),
      makeCall({ timestamp: at }),
    ]);
    const inWindow = { timestamp: { $gte: easternTime(day, 0), $lt: easternTime(addDays(day, 1), 0) } };

    // Errors, but never the call whose outcome is unknown: VAN may hold it.
    const count = await json(await post(`/candidates/good-candidate/reset?scope=errors&window=${day}`));
    expect(count).toMatchObject({ confirmed: false, wouldReset: 2, alreadyInVan: 0, scope: 'errors' });
    expect(
      await world.db.collection('calls').countDocuments({ ...inWindow, sync_status: { $exists: false } }),
    ).toBe(1);

    const done = await json(
      await post(`/candidates/good-candidate/reset?scope=errors&window=${day}&confirm=true`),
    );
    expect(done).toMatchObject({ confirmed: true, reset: 2 });
    const unsynced = await world.db
      .collection('calls')
      .find({ ...inWindow, sync_status: { $exists: false } })
      .toArray();
    expect(unsynced).toHaveLength(3);
    for (const call of unsynced) {
      expect(call).not.toHaveProperty('run_id');
      expect(call).not.toHaveProperty('error');
    }

    // `all` never includes a call VAN holds: neither its receipt nor a person's confirmation.
    const all = await json(await post(`/candidates/good-candidate/reset?scope=all&window=${day}`));
    expect(all).toMatchObject({ wouldReset: 1, alreadyInVan: 0 });
    expect(all.detail).toMatch(/Calls VAN accepted and calls whose outcome is unknown are never part/);
    expect(
      await json(await post(`/candidates/good-candidate/reset?scope=all&window=${day}&confirm=true`)),
    ).toMatchObject({ confirmed: true, reset: 1 });
    expect(await world.db.collection('calls').countDocuments({ ...inWindow, sync_status: 'finished' })).toBe(
      2,
    );

    // Those two only by their own scope, with the count echoed back and the consequence in words.
    const accepted = await json(
      await post(`/candidates/good-candidate/reset?scope=van-accepted&window=${day}`),
    );
    expect(accepted).toMatchObject({ confirmed: false, wouldReset: 2, alreadyInVan: 2 });
    expect(accepted.detail).toMatch(
      /each of these 2 voters will get a second contact record in VAN.*confirm=true&expected=2/,
    );
    const confirmAccepted = `/candidates/good-candidate/reset?scope=van-accepted&window=${day}&confirm=true`;
    expect((await post(confirmAccepted)).status).toBe(400);
    expect((await post(`${confirmAccepted}&expected=1`)).status).toBe(409);
    expect(await world.db.collection('calls').countDocuments({ ...inWindow, sync_status: 'finished' })).toBe(
      2,
    );
    expect(await json(await post(`${confirmAccepted}&expected=2`))).toMatchObject({
      confirmed: true,
      reset: 2,
    });

    // Only a reset that names exactly them returns calls whose outcome is unknown, after a count
    // the operator repeats back.
    const unknown = await json(
      await post(`/candidates/good-candidate/reset?scope=outcome-unknown&window=${day}`),
    );
    expect(unknown).toMatchObject({ confirmed: false, wouldReset: 1, alreadyInVan: 1 });
    expect(unknown.detail).toMatch(/VAN may already hold every one of them.*worklist.*expected=1/);
    const confirmUnknown = `/candidates/good-candidate/reset?scope=outcome-unknown&window=${day}&confirm=true`;
    expect((await post(confirmUnknown)).status).toBe(400);
    expect((await post(`${confirmUnknown}&expected=5`)).status).toBe(409);
    expect(await json(await post(`${confirmUnknown}&expected=1`))).toMatchObject({
      confirmed: true,
      reset: 1,
    });
    const replayed = await world.db
      .collection('calls')
      .countDocuments({ ...inWindow, outcome_unknown: { $exists: true } });
    expect(replayed).toBe(0);
    expect(
      await world.db.collection('calls').countDocuments({ ...inWindow, sync_status: { $exists: false } }),
    ).toBe(7);
    expect((await post(`/candidates/good-candidate/reset?scope=everything`)).status).toBe(400);
    expect((await post(`/candidates/good-candidate/reset?scope=all&confirm=yes`)).status).toBe(400);
  });
});

describe('drop rate', () => {
  test('is drops / (drops + contacts) per day and over the days, N/A without contacts', async () => {
    const first = easternDayOf(new Date(Date.now() - 10 * 86_400_000));
    const second = addDays(first, 1);
    const service = 'DR Service';
    const call = (day: string, flags: { dropped?: boolean; contact?: boolean }) =>
      makeCall({ timestamp: easternTime(day, 17), service_name: service, ...flags });
    await world.db
      .collection('calls')
      .insertMany([
        call(first, { dropped: true }),
        call(first, { contact: true }),
        call(first, { contact: true }),
        call(first, { contact: true }),
        call(first, {}),
        call(second, { dropped: true }),
        makeCall({ timestamp: easternTime(first, 17), service_name: 'Other', dropped: true }),
      ]);
    const response = await world.api(
      `/drop-rate?start_day=${first.slice(5)}&count=3&service_name=${encodeURIComponent(service)}`,
    );
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.startDay).toBe(first);
    expect(body.days).toEqual([
      { day: first, drops: 1, contacts: 3, dropRate: 0.25 },
      { day: second, drops: 1, contacts: 0, dropRate: 'N/A' },
      { day: addDays(first, 2), drops: 0, contacts: 0, dropRate: 'N/A' },
    ]);
    expect(body.total).toEqual({ drops: 2, contacts: 3, dropRate: 0.4 });
  });

  test.each([
    ['', 'missing everything'],
    ['?start_day=10-20&count=3', 'missing service_name'],
    ['?start_day=2026-10-20&count=3&service_name=x', 'a full date'],
    ['?start_day=13-45&count=3&service_name=x', 'not a calendar day'],
    ['?start_day=10-20&count=0&service_name=x', 'count zero'],
    ['?start_day=10-20&count=abc&service_name=x', 'count not a number'],
    ['?start_day=10-20&count=1000&service_name=x', 'count too large'],
  ])('bad parameters (%s: %s) are a 400 with the usage', async (query) => {
    const response = await world.api(`/drop-rate${query}`);
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.error).toBe('bad_parameter');
    expect(body.usage).toMatch(/start_day=MM-DD&count=N&service_name=/);
  });
});
