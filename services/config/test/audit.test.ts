import { easternTime, makeCall } from './support/calls';
import { API_TOKEN, API_TOKENS, ORGANISER_TOKEN, useConfigWorld } from './support/config-world';

// Every operator action is stored with who (the token's name, never the token), when and what,
// and shown on /audit a page at a time; an action a token may not take is no action, but the
// refused request (401 or 403) is stored as a denial with where it came from.

const world = useConfigWorld();

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
  await world.db.collection('calls').insertMany([
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

test('refused requests are no action but a denial with their source, and organisers cannot read the audit', async () => {
  const actions = () => world.db.collection('audit').countDocuments({ action: { $ne: 'denied' } });
  const before = await actions();
  expect((await post('/config/refresh', ORGANISER_TOKEN)).status).toBe(403);
  expect((await post('/runs/good-candidate', ORGANISER_TOKEN)).status).toBe(403);
  expect((await post('/candidates/good-candidate/reset?confirm=true', ORGANISER_TOKEN)).status).toBe(403);
  expect((await world.api('/audit', { token: ORGANISER_TOKEN })).status).toBe(403);
  expect((await world.api('/runs', { token: 'not-a-token-0123456789abcdef' })).status).toBe(401);
  const signIn = await world.api('/login', {
    method: 'POST',
    token: null,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'audit-test/1' },
    body: 'token=wrong-sign-in-token-0123456789',
  });
  expect(signIn.status).toBe(401);
  expect(await actions()).toBe(before);

  const { entries } = await json(await world.api('/audit?limit=6'));
  const source = { ip: expect.any(String), peer: expect.any(String) };
  expect(entries.map((e: { action: string }) => e.action)).toEqual(Array(6).fill('denied'));
  const [login, stranger, audit, reset] = entries;
  expect(login).toMatchObject({
    outcome: 'failed',
    details: {
      status: 401,
      error: 'unauthorized',
      method: 'POST',
      path: '/login',
      source: { ...source, userAgent: 'audit-test/1' },
    },
  });
  expect(login.actor).toBeUndefined();
  expect(stranger).toMatchObject({ details: { status: 401, method: 'GET', path: '/runs', source } });
  expect(stranger.summary).toMatch(/^401 unauthorized: GET \/runs from \S+$/);
  expect(audit).toMatchObject({
    actor: 'olivia',
    role: 'organiser',
    via: 'bearer',
    details: { status: 403, error: 'forbidden', method: 'GET', path: '/audit', source },
  });
  expect(reset).toMatchObject({
    actor: 'olivia',
    details: { status: 403, path: '/candidates/good-candidate/reset' },
  });
  expect(JSON.stringify(entries)).not.toMatch(/not-a-token|wrong-sign-in-token/);
});

test('the audit pages: each page after the last one shown, a next link until the oldest', async () => {
  const all = (await json(await world.api('/audit?limit=500'))).entries as { id: string }[];
  expect(all.length).toBeGreaterThan(5);
  const seen: string[] = [];
  let next: string | undefined = '/audit?limit=2';
  while (next) {
    const page = await json(await world.api(next));
    expect(page.entries.length).toBeLessThanOrEqual(2);
    seen.push(...page.entries.map((e: { id: string }) => e.id));
    next = page.next;
  }
  expect(seen).toEqual(all.map((e) => e.id));
  const html = await (await world.api('/audit?limit=2', { headers: { accept: 'text/html' } })).text();
  expect(html).toContain('<a href="/audit?limit=2&amp;offset=2">Older entries</a>');
  const last = await json(await world.api(`/audit?limit=2&offset=${all.length - 1}`));
  expect(last.entries).toHaveLength(1);
  expect(last.next).toBeUndefined();
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
  const everything = JSON.stringify(await world.db.collection('audit').find().toArray());
  expect(everything.length).toBeGreaterThan(100);
  for (const entry of API_TOKENS.split(',')) {
    const token = entry.split(':').at(-1)!;
    expect(everything).not.toContain(token);
  }
});
