import { assertEveryRouteGuarded } from '../src/http/access';
import { configRouters, type ConfigRouterDeps } from '../src/http/routers';
import { API_TOKEN, LIMITED_TOKEN, ORGANISER_TOKEN, useConfigWorld } from './support/config-world';

// Every route of the service's router, walked from the router itself, against the running
// service: no token and a wrong token are 401, a token below the route's role is 403 naming the
// role, and an organiser limited to candidates is 403 for the others. The expected roles are
// written here, not read from the code: a new route fails this test until someone decides who may
// call it.

const IMPORT_MAX_BYTES = 50_000;
const SESSION_SECRET = 'access-test-session-secret-0123456789abc';

const world = useConfigWorld({
  IMPORT_MAX_BYTES: String(IMPORT_MAX_BYTES),
  SESSION_SECRET,
  // Every route is called with wrong tokens from one client; the throttle has its own test.
  SIGN_IN_MAX_FAILURES_PER_CLIENT: '1000',
  SIGN_IN_MAX_FAILURES_PER_TOKEN_NAME: '1000',
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (response: Response): Promise<any> => response.json();

const EXPECTED_ROLES: Record<string, 'organiser' | 'operator'> = {
  'GET /candidates': 'organiser',
  'POST /config/refresh': 'operator',
  'POST /candidates/:candidate/reset': 'operator',
  'GET /configure/:candidate': 'organiser',
  'GET /validate/:candidate': 'organiser',
  'POST /runs/:ref': 'operator',
  'GET /runs': 'organiser',
  'GET /runs/:ref': 'organiser',
  'GET /drop-rate': 'organiser',
  'GET /openapi.json': 'organiser',
  'GET /audit': 'operator',
  'POST /calls/import': 'operator',
  'GET /calls/imports': 'operator',
  'GET /calls/imports/:id': 'operator',
  'GET /calls/imports/:id/errors.csv': 'operator',
  'GET /outcome-unknown': 'organiser',
  'POST /outcome-unknown/resolve': 'operator',
  'GET /calls/search': 'organiser',
  'POST /calls/search': 'organiser',
};

/** Reachable without a token, on purpose: probes, metrics (its own port in production), sign-in/out. */
const PUBLIC_ROUTES: [route: string, init: RequestInit, status: number][] = [
  ['GET /healthz', {}, 200],
  ['GET /readyz', {}, 200],
  ['GET /metrics', {}, 200],
  ['GET /login', { headers: { accept: 'text/html' } }, 200],
  [
    'POST /login',
    {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ORGANISER_TOKEN }).toString(),
    },
    303,
  ],
  ['POST /logout', {}, 204],
];

const RUN_ID = '0b9a4c1e-1111-4222-8333-444455556666';
/**
 * A path for the route with its parameters filled in, naming a candidate the limited token may not
 * see (`/runs/:ref` names a candidate to POST to, a run to GET).
 */
const samplePath = (path: string, method: string) =>
  path
    .replace(':candidate', 'csv-candidate')
    .replace(':id', RUN_ID)
    .replace(':ref', method === 'POST' ? 'csv-candidate' : RUN_ID) +
  (path === '/drop-rate' ? '?start_day=01-01&count=1&service_name=CC%20Calls' : '');

// The routers are built only to be walked: their dependencies are never called.
const routes = [
  ...assertEveryRouteGuarded(configRouters({ maxImportBytes: 1 } as unknown as ConfigRouterDeps)).entries(),
];

test('the router holds exactly the routes this test expects, each with its role', () => {
  expect(Object.fromEntries(routes)).toEqual(EXPECTED_ROLES);
});

describe.each(routes.map(([route, role]) => ({ route, role })))('$route', ({ route }) => {
  const [method = '', path = ''] = route.split(' ');
  const call = (token: string | null, init: RequestInit = {}) =>
    world.api(samplePath(path, method), { method, token, ...init });

  test('refuses no token and a wrong token with 401', async () => {
    for (const token of [null, 'wrong-token-0123456789abcdef', `${API_TOKEN}x`]) {
      const response = await call(token);
      expect(response.status).toBe(401);
      expect((await json(response)).error).toBe('unauthorized');
    }
  });

  test('refuses the wrong role with 403 naming the role needed, or lets an organiser in', async () => {
    const response = await call(ORGANISER_TOKEN);
    if (EXPECTED_ROLES[route] === 'operator') {
      expect(response.status).toBe(403);
      const body = await json(response);
      expect(body).toMatchObject({ error: 'forbidden', requiredRole: 'operator', role: 'organiser' });
      expect(body.detail).toBe('this needs the operator role; the token "olivia" is an organiser');
    } else {
      expect([401, 403]).not.toContain(response.status);
    }
  });

  test('refuses an organiser limited to other candidates with 403', async () => {
    const response = await call(LIMITED_TOKEN);
    // Lists are filtered to the token's candidates; an unknown run is 404 whoever asks (a known one
    // of another candidate is 403, below).
    const expected =
      {
        'GET /candidates': 200,
        'GET /runs': 200,
        'GET /outcome-unknown': 200,
        'GET /openapi.json': 200,
        'GET /runs/:ref': 404,
        // The search finds only the token's candidates' calls; the form itself is everyone's.
        'GET /calls/search': 200,
        'POST /calls/search': 400,
      }[route] ?? 403;
    expect(response.status).toBe(expected);
  });
});

test('the public routes answer without a token', async () => {
  for (const [route, init, status] of PUBLIC_ROUTES) {
    const [method = '', path = ''] = route.split(' ');
    const response = await world.api(path, { method, token: null, ...init });
    expect({ route, status: response.status }).toEqual({ route, status });
  }
});

describe('an organiser limited to candidates', () => {
  test('sees only their candidates and runs, and opens their own', async () => {
    const listing = await json(await world.api('/candidates', { token: LIMITED_TOKEN }));
    expect(listing.candidates.map((c: { slug: string }) => c.slug)).toEqual([
      'broken-candidate',
      'good-candidate',
    ]);
    expect((await world.api('/validate/good-candidate', { token: LIMITED_TOKEN })).status).toBe(200);
    const other = await world.api('/validate/csv-candidate', { token: LIMITED_TOKEN });
    expect(other.status).toBe(403);
    expect((await json(other)).detail).toBe(
      'the token "lee" is limited to good-candidate, broken-candidate; "csv-candidate" is not among them',
    );
    expect((await world.api('/runs?candidate=csv-candidate', { token: LIMITED_TOKEN })).status).toBe(403);
    const ok = await world.api('/drop-rate?start_day=01-01&count=1&service_name=GC%20Persuasion', {
      token: LIMITED_TOKEN,
    });
    expect(ok.status).toBe(200);
  });

  test('does not see the runs of other candidates', async () => {
    const requested = await world.api('/runs/csv-candidate?window=2026-03-02', { method: 'POST' });
    expect(requested.status).toBe(202);
    const { runId } = await json(requested);
    const all = await json(await world.api('/runs', { token: ORGANISER_TOKEN }));
    expect(all.runs.map((run: { runId: string }) => run.runId)).toContain(runId);
    const limited = await json(await world.api('/runs', { token: LIMITED_TOKEN }));
    expect(limited.runs.map((run: { candidate: string }) => run.candidate)).not.toContain('csv-candidate');
    expect((await world.api(`/runs/${runId}`, { token: LIMITED_TOKEN })).status).toBe(403);
  });
});

test('a 403 is a page naming the role for a browser', async () => {
  const page = await world.api('/audit', { token: ORGANISER_TOKEN, headers: { accept: 'text/html' } });
  expect(page.status).toBe(403);
  expect(await page.text()).toContain(
    'this needs the operator role; the token &quot;olivia&quot; is an organiser',
  );
});

describe('the session cookie', () => {
  async function sessionOf(token: string): Promise<string> {
    const login = await world.api('/login', {
      token: null,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, next: '/runs' }).toString(),
    });
    expect(login.status).toBe(303);
    const cookie = login.headers.getSetCookie().find((c) => c.startsWith('callsync_session='))!;
    return cookie.split(';')[0]!;
  }
  const withCookie = (
    cookie: string,
    path: string,
    init: RequestInit & { headers?: Record<string, string> } = {},
  ) => world.api(path, { ...init, token: null, headers: { ...init.headers, cookie } });

  test("carries the token's name and role, and keeps the role's limits", async () => {
    const organiser = await sessionOf(ORGANISER_TOKEN);
    expect(organiser).toMatch(/^callsync_session=v3\.\d+\.olivia\.organiser\./);
    expect(organiser).not.toContain(ORGANISER_TOKEN);
    expect((await withCookie(organiser, '/runs')).status).toBe(200);
    const refused = await withCookie(organiser, '/config/refresh', {
      method: 'POST',
      headers: { origin: world.service.url },
    });
    expect(refused.status).toBe(403);
    expect((await json(refused)).requiredRole).toBe('operator');
  });

  test('cannot be used from another site: a cross-origin state change is refused (CSRF)', async () => {
    const operator = await sessionOf(API_TOKEN);
    const before = await world.db.collection('audit').countDocuments({ action: 'config_refresh' });
    for (const headers of [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { referer: 'http://evil.example/page' },
      {},
    ] as Record<string, string>[]) {
      const response = await withCookie(operator, '/config/refresh', { method: 'POST', headers });
      expect({ headers, status: response.status }).toEqual({ headers, status: 403 });
      expect((await json(response)).error).toBe('cross_origin');
    }
    expect(await world.db.collection('audit').countDocuments({ action: 'config_refresh' })).toBe(before);

    const own = await withCookie(operator, '/config/refresh', {
      method: 'POST',
      headers: { origin: world.service.url },
    });
    expect(own.status).toBe(200);
    const viaReferer = await withCookie(operator, '/config/refresh', {
      method: 'POST',
      headers: { referer: `${world.service.url}/candidates` },
    });
    expect(viaReferer.status).toBe(200);
    // Another site cannot sign a browser in either (login CSRF).
    const login = await world.api('/login', {
      token: null,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
      body: new URLSearchParams({ token: API_TOKEN }).toString(),
    });
    expect(login.status).toBe(403);
  });

  test('pages send the referrer to their own origin only, so the origin check works for a real browser', async () => {
    const page = await world.api('/login', { token: null, headers: { accept: 'text/html' } });
    expect(page.headers.get('referrer-policy')).toBe('same-origin');
  });
});

describe('request bodies', () => {
  const stateChanging = routes.filter(([route]) => route.startsWith('POST '));

  test.each(stateChanging.map(([route]) => route))(
    '%s refuses a body over its limit with 413',
    async (route) => {
      const path = samplePath(route.slice('POST '.length), 'POST').replace('csv-candidate', 'good-candidate');
      const streamed = path.startsWith('/calls/import');
      const response = await world.api(path, {
        method: 'POST',
        headers: { 'content-type': streamed ? 'text/csv' : 'application/json' },
        body: streamed ? 'x'.repeat(IMPORT_MAX_BYTES + 1) : JSON.stringify({ window: 'x'.repeat(70_000) }),
      });
      expect(response.status).toBe(413);
      expect((await json(response)).error).toBe('too_large');
    },
  );

  test('a form over 16 kB to /login is 413', async () => {
    const response = await world.api('/login', {
      token: null,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${'a'.repeat(17_000)}`,
    });
    expect(response.status).toBe(413);
  });
});

describe('no MongoDB operator reaches a query', () => {
  test('query parameter names with brackets or $ are refused', async () => {
    for (const path of [
      '/drop-rate?start_day=01-01&count=1&service_name[$ne]=x',
      '/runs?candidate[$ne]=x',
      '/runs?$where=1',
      '/audit?candidate[$regex]=.*',
    ]) {
      const response = await world.api(path);
      expect({ path, status: response.status }).toEqual({ path, status: 400 });
      expect((await json(response)).error).toBe('bad_parameter');
    }
    const twice = await world.api('/drop-rate?start_day=01-01&count=1&service_name=a&service_name=b');
    expect(twice.status).toBe(400);
  });

  test('JSON bodies with operators or unknown fields are refused, and nothing is written', async () => {
    const runsBefore = await world.db.collection('runs').countDocuments({ candidate: 'broken-candidate' });
    for (const body of [
      { $gt: '' },
      { window: { $gt: '' } },
      { dryRun: { $ne: false } },
      ['window'],
      { window: '2026-03-02', candidate: 'csv-candidate' },
    ]) {
      const response = await world.api('/runs/broken-candidate', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
    }
    expect(await world.db.collection('runs').countDocuments({ candidate: 'broken-candidate' })).toBe(
      runsBefore,
    );
    for (const path of ['/config/refresh', '/candidates/good-candidate/reset']) {
      const response = await world.api(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ $gt: '' }),
      });
      expect({ path, status: response.status }).toEqual({ path, status: 400 });
    }
    const login = await world.api('/login', {
      token: null,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: { $gt: '' } }),
    });
    expect(login.status).toBe(401);
  });
});
