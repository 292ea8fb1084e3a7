import { type ServiceProcess, startServiceProcess, TEST_LAUNCH } from '@call-sync/testkit';
import { createHash } from 'node:crypto';
import { API_TOKEN, API_TOKENS, ORGANISER_TOKEN, useConfigWorld } from './support/config-world';

// A session is a document in MongoDB that every replica reads, named in the signed cookie by an id
// the database holds only as a hash: logout deletes it, so a copy of the cookie is worth nothing
// afterwards; each request moves its idle end on, and left alone it ends; a token taken out of
// API_TOKENS takes its sessions with it. The 12 hours of the cookie remain the cap.

const SESSION_SECRET = 'session-end-test-secret-0123456789abcdef';

let replica: ServiceProcess | undefined;
// Before the world's: jest runs afterAll hooks in the order they are declared.
afterAll(() => replica?.stop());
const world = useConfigWorld({ SESSION_SECRET });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (response: Response): Promise<any> => response.json();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function signIn(token: string): Promise<string> {
  const login = await world.api('/login', {
    token: null,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, next: '/runs' }).toString(),
  });
  expect(login.status).toBe(303);
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith('callsync_session='))!;
  return cookie.split(';')[0]!.slice('callsync_session='.length);
}

/** The candidates list as the browser holding `session` asks for it, from `base` (a replica). */
const open = (session: string, base = world.service.url) =>
  fetch(`${base}/candidates`, { headers: { cookie: `callsync_session=${session}` } });

const logout = (session: string, base = world.service.url) =>
  fetch(`${base}/logout`, { method: 'POST', headers: { cookie: `callsync_session=${session}` } });

/** The session id the cookie carries: the part before its signature. */
const idOf = (session: string) => session.split('.').at(-2)!;

test('logout ends the session on the server: a copy of the cookie opens nothing, on any replica', async () => {
  replica = await startServiceProcess('config', world.env, TEST_LAUNCH);
  const session = await signIn(API_TOKEN);
  const copy = session;
  expect((await open(session)).status).toBe(200);
  expect((await open(copy, replica.url)).status).toBe(200);

  const out = await logout(session, replica.url);
  expect(out.status).toBe(204);
  expect(out.headers.getSetCookie().join()).toMatch(/callsync_session=;.*expires=Thu, 01 Jan 1970/i);
  for (const base of [world.service.url, replica.url]) {
    const refused = await open(copy, base);
    expect(refused.status).toBe(401);
    expect((await json(refused)).detail).toBe(
      'the sign-in session has ended (signed out, or unused for too long); sign in again at /login',
    );
  }
  const hash = createHash('sha256').update(idOf(session)).digest('base64url');
  expect(await world.db.collection('sessions').countDocuments({ _id: hash as never })).toBe(0);
  // Another browser's session of the same token is its own.
  const other = await signIn(API_TOKEN);
  expect((await open(other)).status).toBe(200);
});

test('the database holds a session by the hash of its id, never the id or the cookie', async () => {
  const session = await signIn(ORGANISER_TOKEN);
  const hash = createHash('sha256').update(idOf(session)).digest('base64url');
  const stored = await world.db.collection('sessions').findOne({ _id: hash as never });
  expect(stored).toMatchObject({ name: 'olivia', role: 'organiser' });
  const [, expires] = session.split('.');
  expect(stored!.endsAt.getTime()).toBe(Number(expires) * 1000);
  expect(stored!.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 30 * 60_000);
  expect(stored!.expiresAt.getTime()).toBeGreaterThan(Date.now() + 29 * 60_000);

  const everything = JSON.stringify(await world.db.collection('sessions').find().toArray());
  expect(everything).not.toContain(idOf(session));
  expect(everything).not.toContain(session);
  for (const entry of API_TOKENS.split(',')) expect(everything).not.toContain(entry.split(':').at(-1)!);
});

test('a session unused for SESSION_IDLE_MINUTES ends; one in use lives on past it', async () => {
  // Six seconds of idleness: requests 3.5 s apart keep the session past it, 7 s of silence end it.
  await world.restartService({ SESSION_IDLE_MINUTES: '0.1' });
  try {
    const session = await signIn(API_TOKEN);
    for (let i = 0; i < 3; i += 1) {
      expect((await open(session)).status).toBe(200);
      await sleep(3_500);
    }
    expect((await open(session)).status).toBe(200);
    await sleep(7_000);
    const refused = await open(session);
    expect(refused.status).toBe(401);
    expect((await json(refused)).detail).toMatch(/session has ended/);
  } finally {
    await world.restartService({ SESSION_IDLE_MINUTES: '' });
  }
}, 60_000);

test('a token taken out of API_TOKENS ends its sessions, and the others keep theirs', async () => {
  const organiser = await signIn(ORGANISER_TOKEN);
  const operator = await signIn(API_TOKEN);
  const without = API_TOKENS.split(',')
    .filter((entry) => !entry.startsWith('olivia:'))
    .join(',');
  await world.restartService({ API_TOKENS: without });
  try {
    const refused = await open(organiser);
    expect(refused.status).toBe(401);
    expect((await json(refused)).detail).toMatch(/no longer accepted/);
    expect((await open(operator)).status).toBe(200);
  } finally {
    await world.restartService({ API_TOKENS });
  }
});
