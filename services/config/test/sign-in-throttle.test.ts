import { type ServiceProcess, startServiceProcess, TEST_LAUNCH } from '@call-sync/testkit';
import { API_TOKEN, API_TOKENS, ORGANISER_TOKEN, useConfigWorld } from './support/config-world';

// Wrong tokens are counted per client — at the sign-in form and in bearer headers — in MongoDB, so
// every replica holds a client back once it passed its limit, even with a right token, until its
// window ends. Each wrong token is a guess at every token name at once, so every client's wrong
// tokens also count together. The service trusts the loopback proxy by default, so each test names
// its clients in X-Forwarded-For, as the ingress would.

const PER_CLIENT = 3;
const PER_TOKEN_NAME = 6;
/** Six seconds: long enough for a few requests, short enough to wait out. */
const WINDOW_MINUTES = 0.1;
const SESSION_SECRET = 'throttle-test-session-secret-0123456789ab';

let replica: ServiceProcess | undefined;
// Before the world's: jest runs afterAll hooks in the order they are declared.
afterAll(() => replica?.stop());
const world = useConfigWorld({
  SESSION_SECRET,
  SIGN_IN_MAX_FAILURES_PER_CLIENT: String(PER_CLIENT),
  SIGN_IN_MAX_FAILURES_PER_TOKEN_NAME: String(PER_TOKEN_NAME),
  SIGN_IN_WINDOW_MINUTES: String(WINDOW_MINUTES),
});
// Each test starts from no count: the count of every token name would carry one test's wrong
// tokens into the next.
beforeEach(() => world.db.collection('sign_in_failures').deleteMany({}));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (response: Response): Promise<any> => response.json();

function signIn(client: string, token: string, headers: Record<string, string> = {}) {
  return world.api('/login', {
    token: null,
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': client,
      'user-agent': 'throttle-test/1',
      ...headers,
    },
    body: new URLSearchParams({ token, next: '/candidates' }).toString(),
  });
}

const bearer = (client: string, token: string, base?: string) =>
  base === undefined
    ? world.api('/candidates', { token, headers: { 'x-forwarded-for': client } })
    : fetch(`${base}/candidates`, {
        headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': client },
      });

const wrong = (n: number) => `wrong-token-${n}-0123456789abcdef`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('past its limit a client gets 429 with Retry-After and a page that says why, even with a right token, until its window ends', async () => {
  const client = '203.0.113.10';
  for (let i = 0; i < PER_CLIENT; i += 1) expect((await signIn(client, wrong(i))).status).toBe(401);

  const held = await signIn(client, API_TOKEN);
  expect(held.status).toBe(429);
  expect(held.headers.getSetCookie().filter((c) => c.startsWith('callsync_session='))).toEqual([]);
  const retryAfter = Number(held.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_MINUTES * 60);
  const body = await json(held);
  expect(body).toMatchObject({ error: 'too_many_failures', limit: 'client', retryAfterSeconds: retryAfter });
  expect(body.detail).toMatch(/too many wrong tokens from your address \(3 within 6 seconds\)/);
  expect(body.detail).toMatch(/not even a right one/);

  const page = await signIn(client, API_TOKEN, { accept: 'text/html' });
  expect(page.status).toBe(429);
  const html = await page.text();
  expect(html).toContain('<h1>Too many wrong tokens</h1>');
  expect(html).toContain('try again then');

  // Another client is not held back by this one.
  expect((await signIn('203.0.113.11', API_TOKEN)).status).toBe(303);

  await sleep(retryAfter * 1000 + 300);
  expect((await signIn(client, API_TOKEN)).status).toBe(303);
});

test('the refused attempts are audited with their source, and no document holds a token', async () => {
  const client = '203.0.113.20';
  for (let i = 0; i < PER_CLIENT; i += 1) await signIn(client, wrong(i));
  expect((await signIn(client, API_TOKEN)).status).toBe(429);

  const [entry] = await world.db
    .collection('audit')
    .find({ action: 'denied', 'details.status': 429, 'details.source.ip': client })
    .toArray();
  expect(entry).toMatchObject({
    outcome: 'failed',
    summary: `429 too_many_failures: POST /login from ${client}`,
    details: {
      error: 'too_many_failures',
      method: 'POST',
      path: '/login',
      limit: 'client',
      source: { ip: client, peer: expect.any(String), userAgent: 'throttle-test/1' },
    },
  });
  const failures = await world.db.collection('audit').countDocuments({
    action: 'denied',
    'details.status': 401,
    'details.source.ip': client,
  });
  expect(failures).toBe(PER_CLIENT);

  const stored = JSON.stringify([
    ...(await world.db.collection('sign_in_failures').find().toArray()),
    ...(await world.db.collection('audit').find().toArray()),
  ]);
  for (const entryText of API_TOKENS.split(',')) expect(stored).not.toContain(entryText.split(':').at(-1)!);
  expect(stored).not.toContain('wrong-token-');
});

test("a right sign-in starts the client's count again", async () => {
  const client = '203.0.113.30';
  for (let i = 0; i < PER_CLIENT - 1; i += 1) expect((await signIn(client, wrong(i))).status).toBe(401);
  expect((await signIn(client, API_TOKEN)).status).toBe(303);
  // Counted on from before the sign-in, these would pass the limit.
  for (let i = 0; i < PER_CLIENT - 1; i += 1) expect((await signIn(client, wrong(i))).status).toBe(401);
  expect((await signIn(client, API_TOKEN)).status).toBe(303);
});

test('wrong bearer tokens count too, and a held-back client has no bearer token checked either', async () => {
  const client = '203.0.113.40';
  for (let i = 0; i < PER_CLIENT; i += 1) expect((await bearer(client, wrong(i))).status).toBe(401);
  const held = await bearer(client, API_TOKEN);
  expect(held.status).toBe(429);
  expect(Number(held.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect((await signIn(client, API_TOKEN)).status).toBe(429);
  // A request without any token is no guess: still a plain 401.
  const none = await world.api('/candidates', { token: null, headers: { 'x-forwarded-for': client } });
  expect(none.status).toBe(401);
  expect((await bearer('203.0.113.41', API_TOKEN)).status).toBe(200);
});

test('past the limit of every token name, a client with a wrong token waits and one without is still checked', async () => {
  // Two addresses each, none of them past its own limit, together at the limit of every name.
  const guessers = ['198.51.100.1', '198.51.100.2', '198.51.100.3'];
  for (const client of guessers) {
    for (let i = 0; i < PER_TOKEN_NAME / guessers.length; i += 1) {
      expect((await signIn(client, wrong(i))).status).toBe(401);
    }
  }
  const held = await signIn(guessers[0]!, API_TOKEN);
  expect(held.status).toBe(429);
  const body = await json(held);
  expect(body.limit).toBe('token_name');
  expect(body.detail).toMatch(
    /too many wrong tokens from many addresses within 6 seconds, and one from yours/,
  );

  const fresh = '198.51.100.9';
  expect((await signIn(fresh, ORGANISER_TOKEN)).status).toBe(303);
  expect((await bearer(fresh, API_TOKEN)).status).toBe(200);
  // One wrong token, and this client waits with the others.
  expect((await signIn(fresh, wrong(0))).status).toBe(401);
  expect((await signIn(fresh, API_TOKEN)).status).toBe(429);
});

test('the counts are shared: a client held back by one replica is held back by another', async () => {
  replica = await startServiceProcess('config', world.env, TEST_LAUNCH);
  const client = '203.0.113.50';
  for (let i = 0; i < PER_CLIENT; i += 1) expect((await signIn(client, wrong(i))).status).toBe(401);
  expect((await bearer(client, API_TOKEN, replica.url)).status).toBe(429);
  expect((await bearer('203.0.113.51', API_TOKEN, replica.url)).status).toBe(200);
});
