import type { Db } from 'mongodb';
import { easternTime, makeCall } from './support/calls';
import {
  API_TOKEN,
  API_TOKENS,
  ORGANISER_TOKEN,
  startConfigWorld,
  type ConfigWorld,
} from './support/config-world';

// Every operator action is stored with who (the token's name, never the token), when and what,
// and shown on /audit; an action a token may not take leaves no entry, since nothing happened.

let world: ConfigWorld;
let db: Db;
beforeAll(async () => {
  world = await startConfigWorld();
  db = await world.connectDb();
}, 60_000);
afterAll(() => world?.close());

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (response: Response): Promise<any> => response.json();
const post = (path: string, token = API_TOKEN, init: RequestInit = {}) =>
  world.api(path, { method: 'POST', token, ...init });

test('a bare token still works, as an operator, and the service warns about it at start-up', async () => {
  expect(world.service.output()).toMatch(/API_TOKENS holds bare tokens, each taken as an operator/);
  expect(world.service.output()).toContain('token-4');
  expect((await post('/config/refresh', 'second-token-0123456789')).status).toBe(200);
  const [entry] = (await json(await world.api('/audit?limit=1'))).entries;
  expect(entry).toMatchObject({ actor: 'token-4', role: 'operator', action: 'config_refresh' });
});

test('run requests, resets, imports and refreshes are recorded with who, when and what', async () => {
  const started = Date.now();
  const day = '2026-09-14';
  await db.collection('calls').insertMany([
    makeCall({ timestamp: easternTime(day, 19), sync_status: 'attempted_error', run_id: 'r', error: 'x' }),
    makeCall({
      timestamp: easternTime(day, 20),
      sync_status: 'unattempted_error',
      run_id: 'r',
      error: 'y',
    }),
  ]);

  const run = await json(await post(`/runs/good-candidate?window=${day}`));
  expect((await post(`/candidates/good-candidate/reset?scope=errors&window=${day}`)).status).toBe(200);
  const reset = await json(
    await post(`/candidates/good-candidate/reset?scope=errors&window=${day}&confirm=true`),
  );
  expect(reset.reset).toBe(2);
  const csv =
    'account_number,phone_dialed,start_time,lv_result,first_name,last_name,caller_login,service_name\n';
  const imported = await post('/calls/import?file_name=night.csv', API_TOKEN, {
    headers: { 'content-type': 'text/csv' },
    body: csv,
  });
  expect(imported.status).toBeLessThan(500);
  expect((await post('/config/refresh')).status).toBe(200);

  const { entries } = await json(await world.api('/audit?limit=4'));
  expect(entries.map((e: { action: string }) => e.action)).toEqual([
    'config_refresh',
    'import',
    'reset',
    'run_requested',
  ]);
  for (const entry of entries) {
    expect(entry).toMatchObject({ actor: 'ops', role: 'operator', via: 'bearer' });
    expect(Date.parse(entry.at)).toBeGreaterThanOrEqual(started - 1000);
  }
  const [refresh, load, resetEntry, request] = entries;
  expect(request).toMatchObject({
    candidate: 'good-candidate',
    outcome: 'done',
    details: {
      runId: run.runId,
      window: { start: '2026-09-14T04:00:00.000Z', end: '2026-09-15T04:00:00.000Z' },
    },
  });
  expect(request.summary).toBe(
    `run ${run.runId} requested for the window 09-14-2026 12:00 AM → 09-15-2026 12:00 AM (Eastern)`,
  );
  // Only the confirmed reset is an action; the count before it changes nothing.
  expect(resetEntry).toMatchObject({ candidate: 'good-candidate', details: { scope: 'errors', reset: 2 } });
  expect(load).toMatchObject({ action: 'import', details: { fileName: 'night.csv' } });
  expect(refresh).toMatchObject({ outcome: 'done', details: { candidates: 5 } });

  const byCandidate = await json(await world.api('/audit?candidate=good-candidate'));
  expect(byCandidate.entries.every((e: { candidate: string }) => e.candidate === 'good-candidate')).toBe(
    true,
  );
});

test('refused actions leave no entry, and organisers cannot read the audit', async () => {
  const before = await db.collection('audit').countDocuments();
  expect((await post('/config/refresh', ORGANISER_TOKEN)).status).toBe(403);
  expect((await post('/runs/good-candidate', ORGANISER_TOKEN)).status).toBe(403);
  expect((await post('/candidates/good-candidate/reset?confirm=true', ORGANISER_TOKEN)).status).toBe(403);
  expect(await db.collection('audit').countDocuments()).toBe(before);
  expect((await world.api('/audit', { token: ORGANISER_TOKEN })).status).toBe(403);
});

test('a failed refresh is recorded as failed', async () => {
  // The term-code table vanished from the base: Airtable answers 404, which is not retried.
  const termCodes = world.base.tables['Term Codes']!;
  delete world.base.tables['Term Codes'];
  try {
    expect((await post('/config/refresh')).status).toBe(503);
  } finally {
    world.base.tables['Term Codes'] = termCodes;
  }
  const [entry] = (await json(await world.api('/audit?limit=1'))).entries;
  expect(entry).toMatchObject({ action: 'config_refresh', outcome: 'failed', actor: 'ops' });
});

test('the page shows the entries, linked from the navigation of an operator only', async () => {
  const page = await world.api('/audit', { headers: { accept: 'text/html' } });
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('<h1>Audit</h1>');
  expect(html).toContain('<strong>ops</strong>');
  expect(html).toContain('run requested');
  expect(html).toContain('<a href="/audit">Audit</a>');
  const organiserPage = await (
    await world.api('/runs', { token: ORGANISER_TOKEN, headers: { accept: 'text/html' } })
  ).text();
  expect(organiserPage).not.toContain('href="/audit"');
});

test('no audit document holds a token', async () => {
  const everything = JSON.stringify(await db.collection('audit').find().toArray());
  expect(everything.length).toBeGreaterThan(100);
  for (const entry of API_TOKENS.split(',')) {
    const token = entry.split(':').at(-1)!;
    expect(everything).not.toContain(token);
  }
});
