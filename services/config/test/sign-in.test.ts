import { createHmac } from 'node:crypto';
import { API_TOKEN, useConfigWorld } from './support/config-world';

// A browser signs in with the form and gets a signed, expiring session in its cookie — never the
// API token, which would otherwise sit in the browser, and (with GET /login?token=) in every
// ingress log and history entry. API clients keep using Authorization: Bearer.

const SESSION_SECRET = 'test-session-secret-0123456789-abcdef';

const world = useConfigWorld({ SESSION_SECRET });

const json = async (response: Response) => (await response.json()) as Record<string, unknown> & any; // eslint-disable-line @typescript-eslint/no-explicit-any

function signIn(token: string, next = '/validate/good-candidate', headers: Record<string, string> = {}) {
  return world.api('/login', {
    token: null,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token, next }).toString(),
  });
}

function sessionCookieOf(response: Response): string {
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('callsync_session='));
  if (!cookie) throw new Error(`no session cookie in ${JSON.stringify(response.headers.getSetCookie())}`);
  return cookie;
}

const valueOf = (setCookie: string) => setCookie.split(';')[0]!.slice('callsync_session='.length);

const withSession = (value: string, init: RequestInit = {}) =>
  world.api('/validate/good-candidate', {
    ...init,
    token: null,
    headers: { ...(init.headers as Record<string, string>), cookie: `callsync_session=${value}` },
  });

// The cookie's format, written out independently of the service:
// v3.<expires>.<token name>.<role>.<tag>.<session id>.<HMAC-SHA256>.
const sign = (payload: string, secret = SESSION_SECRET) =>
  `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;

test('the form signs in with a session cookie that holds no form of the token', async () => {
  const login = await signIn(API_TOKEN);
  expect(login.status).toBe(303);
  expect(login.headers.get('location')).toBe('/validate/good-candidate');
  const cookie = sessionCookieOf(login);
  expect(cookie).toMatch(/; httponly/i);
  expect(cookie).toMatch(/; samesite=strict/i);
  expect(cookie).toMatch(/; path=\//i);
  expect(cookie).toMatch(/; expires=/i);
  expect(cookie).not.toMatch(/; secure/i);
  expect(login.headers.get('strict-transport-security')).toBeNull();
  const expires = Date.parse(/expires=([^;]+)/i.exec(cookie)![1]!);
  expect(expires - Date.now()).toBeGreaterThan(11 * 3_600_000);
  expect(expires - Date.now()).toBeLessThanOrEqual(12 * 3_600_000);

  const everything = login.headers.getSetCookie().join('\n') + (login.headers.get('location') ?? '');
  const token = Buffer.from(API_TOKEN);
  for (const encoding of [
    API_TOKEN,
    token.toString('base64'),
    token.toString('base64url'),
    token.toString('hex'),
    encodeURIComponent(API_TOKEN),
  ]) {
    expect(everything).not.toContain(encoding);
  }

  const page = await withSession(valueOf(cookie), { headers: { accept: 'text/html' } });
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('Validate Good Candidate');
  const api = await withSession(valueOf(cookie));
  expect(api.status).toBe(200);
  expect((await json(api)).ok).toBe(true);
});

test('behind TLS (X-Forwarded-Proto: https) the cookie is Secure and pages carry HSTS', async () => {
  const login = await signIn(API_TOKEN, '/candidates', { 'x-forwarded-proto': 'https' });
  expect(login.status).toBe(303);
  expect(sessionCookieOf(login)).toMatch(/; secure/i);
  expect(login.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  const page = await withSession(valueOf(sessionCookieOf(login)), {
    headers: { accept: 'text/html', 'x-forwarded-proto': 'https' },
  });
  expect(page.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
});

test('a wrong token signs nobody in', async () => {
  const refused = await signIn('wrong-token-000000000000');
  expect(refused.status).toBe(401);
  expect(refused.headers.getSetCookie().filter((c) => c.startsWith('callsync_session='))).toEqual([]);
});

test('GET /login?token= does not sign in and says to use the form', async () => {
  const response = await world.api(`/login?token=${API_TOKEN}&next=/candidates`, { token: null });
  expect(response.status).toBe(400);
  expect(response.headers.getSetCookie()).toEqual([]);
  const body = await json(response);
  expect(body.error).toBe('token_in_url');
  expect(body.detail).toMatch(/sign in with the form at \/login/);
  expect(JSON.stringify(body)).not.toContain(API_TOKEN);

  const page = await world.api(`/login?token=${API_TOKEN}`, {
    token: null,
    headers: { accept: 'text/html' },
  });
  expect(page.status).toBe(400);
  expect(await page.text()).toContain('sign in with the form at /login');

  const form = await world.api('/login?next=/runs', { token: null, headers: { accept: 'text/html' } });
  expect(form.status).toBe(200);
  const html = await form.text();
  expect(html).toContain('<form method="post" action="/login">');
  expect(html).toContain('name="next" value="/runs"');
});

test('a tampered, forged, expired or old-style cookie is refused', async () => {
  const value = valueOf(sessionCookieOf(await signIn(API_TOKEN)));
  const [version, expires, name, role, tag, id, signature] = value.split('.') as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  expect([version, name, role]).toEqual(['v3', 'ops', 'operator']);

  const later = `${version}.${Number(expires) + 86_400}.${name}.${role}.${tag}.${id}.${signature}`;
  const flipped = `${version}.${expires}.${name}.${role}.${tag}.${id}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
  const promoted = `${version}.${expires}.olivia.${role}.${tag}.${id}.${signature}`;
  const otherSecret = sign(
    `v3.${expires}.${name}.${role}.${tag}.${id}`,
    'another-secret-of-another-deployment-0000',
  );
  for (const forged of [
    later,
    flipped,
    promoted,
    otherSecret,
    'garbage',
    `v3.${expires}.${name}.${role}.${tag}.${id}`,
  ]) {
    const response = await withSession(forged);
    expect(response.status).toBe(401);
    expect((await json(response)).detail).toMatch(/session is not valid; sign in again/);
  }

  const expired = await withSession(
    sign(`v3.${Math.floor(Date.now() / 1000) - 60}.${name}.${role}.${tag}.${id}`),
  );
  expect(expired.status).toBe(401);
  expect((await json(expired)).detail).toMatch(/session has expired/);
  // Correctly signed, but for a token that is not among API_TOKENS.
  const revoked = await withSession(sign(`v3.${expires}.${name}.${role}.AAAAAAAAAAAAAAAAAAAAAA.${id}`));
  expect(revoked.status).toBe(401);
  expect((await json(revoked)).detail).toMatch(/no longer accepted/);
  // Correctly signed with the operator's tag, but naming another role than API_TOKENS gives it.
  const otherRole = await withSession(sign(`v3.${expires}.${name}.organiser.${tag}.${id}`));
  expect(otherRole.status).toBe(401);
  // Correctly signed (a leaked SESSION_SECRET), but naming a session the service never opened.
  const unopened = await withSession(sign(`v3.${expires}.${name}.${role}.${tag}.AAAAAAAAAAAAAAAAAAAAAAAA`));
  expect(unopened.status).toBe(401);
  expect((await json(unopened)).detail).toMatch(/session has ended/);
  // The formats before the server-side session (v2) and before roles (v1) are no session any more.
  const stateless = await withSession(sign(`v2.${expires}.${name}.${role}.${tag}`));
  expect(stateless.status).toBe(401);
  const before = await withSession(sign(`v1.${expires}.${tag}`));
  expect(before.status).toBe(401);
  // The real one still opens the page: none of the above ended it.
  expect((await withSession(value)).status).toBe(200);

  // The earlier sign-in put the raw token in callsync_token; it opens nothing any more.
  const oldStyle = await world.api('/candidates', {
    token: null,
    headers: { cookie: `callsync_token=${API_TOKEN}` },
  });
  expect(oldStyle.status).toBe(401);
});

test('bearer tokens keep working for API clients, with or without a cookie', async () => {
  expect((await world.api('/candidates')).status).toBe(200);
  const both = await world.api('/candidates', { headers: { cookie: 'callsync_session=garbage' } });
  expect(both.status).toBe(200);
});

test('logout clears the cookie (and ends its session: see session-end.test.ts)', async () => {
  const response = await world.api('/logout', { method: 'POST' });
  expect(response.status).toBe(204);
  expect(sessionCookieOf(response)).toMatch(/^callsync_session=;.*expires=Thu, 01 Jan 1970/i);
});

test('with SESSION_SECRET a session outlives a restart (as another replica would accept it); without it, it does not', async () => {
  const value = valueOf(sessionCookieOf(await signIn(API_TOKEN)));
  await world.restartService();
  expect((await withSession(value)).status).toBe(200);

  await world.restartService({ SESSION_SECRET: '' });
  try {
    expect(world.service.output()).toMatch(/SESSION_SECRET is not set/);
    expect((await withSession(value)).status).toBe(401);
    const fresh = valueOf(sessionCookieOf(await signIn(API_TOKEN)));
    expect((await withSession(fresh)).status).toBe(200);
  } finally {
    await world.restartService({ SESSION_SECRET });
  }
});
