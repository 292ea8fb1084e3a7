import { startServiceProcess, TEST_LAUNCH } from '@call-sync/testkit';
import { standaloneServiceEnv } from '../../../test/support/env';
import { API_TOKEN, useConfigWorld } from './support/config-world';

// X-Forwarded-Proto, -For and -Host are believed only from a peer in TRUSTED_PROXIES. The tests
// reach the service from 127.0.0.1: with TRUSTED_PROXIES naming another range that peer is a
// stranger whose headers change nothing; naming it, it is the ingress.

const SESSION_SECRET = 'trusted-proxies-test-secret-0123456789ab';
const HSTS = 'max-age=31536000; includeSubDomains';

const world = useConfigWorld({
  SESSION_SECRET,
  TRUSTED_PROXIES: '10.0.0.0/8',
  SIGN_IN_MAX_FAILURES_PER_CLIENT: '3',
});

function signIn(token: string, headers: Record<string, string>) {
  return world.api('/login', {
    token: null,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token, next: '/candidates' }).toString(),
  });
}

const sessionCookie = (response: Response) =>
  response.headers.getSetCookie().find((c) => c.startsWith('callsync_session='))!;

/** The source the audit stored for the newest refusal of this user agent. */
async function auditedSource(userAgent: string): Promise<{ ip: string; peer: string }> {
  const [entry] = await world.db
    .collection('audit')
    .find({ action: 'denied', 'details.source.userAgent': userAgent })
    .sort({ at: -1 })
    .limit(1)
    .toArray();
  return entry!.details.source as { ip: string; peer: string };
}

describe('from a peer that is not a trusted proxy', () => {
  test('X-Forwarded-Proto: https gets neither HSTS nor a Secure cookie', async () => {
    const login = await signIn(API_TOKEN, { 'x-forwarded-proto': 'https' });
    expect(login.status).toBe(303);
    expect(sessionCookie(login)).not.toMatch(/; secure/i);
    expect(login.headers.get('strict-transport-security')).toBeNull();
    const page = await world.api('/candidates', {
      headers: { 'x-forwarded-proto': 'https', accept: 'text/html' },
    });
    expect(page.headers.get('strict-transport-security')).toBeNull();
  });

  test('X-Forwarded-For names no client: the audit and the throttle see the peer', async () => {
    const wrong = await signIn('wrong-token-0123456789abcdef', {
      'x-forwarded-for': '203.0.113.99',
      'user-agent': 'untrusted-peer/1',
    });
    expect(wrong.status).toBe(401);
    expect(await auditedSource('untrusted-peer/1')).toEqual({
      ip: '127.0.0.1',
      peer: '127.0.0.1',
      userAgent: 'untrusted-peer/1',
    });
    // A new address in the header for every guess does not make a new client.
    for (const forged of ['203.0.113.1', '203.0.113.2']) {
      const response = await signIn('wrong-token-0123456789abcdef', { 'x-forwarded-for': forged });
      expect(response.status).toBe(401);
    }
    expect((await signIn(API_TOKEN, { 'x-forwarded-for': '203.0.113.3' })).status).toBe(429);
    await world.db.collection('sign_in_failures').deleteMany({});
  });

  test('X-Forwarded-Host does not change the origin a cookie request must come from', async () => {
    const cookie = sessionCookie(await signIn(API_TOKEN, {})).split(';')[0]!;
    const forged = await world.api('/config/refresh', {
      method: 'POST',
      token: null,
      headers: { cookie, origin: 'http://evil.example', 'x-forwarded-host': 'evil.example' },
    });
    expect(forged.status).toBe(403);
  });
});

describe('from a trusted proxy', () => {
  beforeAll(() => world.restartService({ TRUSTED_PROXIES: '127.0.0.1/32' }), 60_000);

  test('X-Forwarded-Proto: https gets HSTS and a Secure cookie', async () => {
    const login = await signIn(API_TOKEN, { 'x-forwarded-proto': 'https' });
    expect(login.status).toBe(303);
    expect(sessionCookie(login)).toMatch(/; secure/i);
    expect(login.headers.get('strict-transport-security')).toBe(HSTS);
    const plain = await signIn(API_TOKEN, {});
    expect(sessionCookie(plain)).not.toMatch(/; secure/i);
    expect(plain.headers.get('strict-transport-security')).toBeNull();
  });

  test('the client is the last address in X-Forwarded-For that is not a trusted proxy', async () => {
    // The ingress appended 203.0.113.7; the client itself wrote 198.51.100.66 to the left of it.
    await signIn('wrong-token-0123456789abcdef', {
      'x-forwarded-for': '198.51.100.66, 203.0.113.7',
      'user-agent': 'trusted-proxy/1',
    });
    expect(await auditedSource('trusted-proxy/1')).toMatchObject({ ip: '203.0.113.7', peer: '127.0.0.1' });
    // A trusted hop in the chain is passed over.
    await signIn('wrong-token-0123456789abcdef', {
      'x-forwarded-for': '203.0.113.8, 127.0.0.1',
      'user-agent': 'trusted-proxy/2',
    });
    expect(await auditedSource('trusted-proxy/2')).toMatchObject({ ip: '203.0.113.8' });
  });
});

test('a TRUSTED_PROXIES entry that is no address or range stops the service, naming the entry', async () => {
  const message = await startServiceProcess(
    'config',
    { ...standaloneServiceEnv('trusted-proxies'), TRUSTED_PROXIES: '10.0.0.0/8,ingress.local' },
    { ...TEST_LAUNCH, timeoutMs: 15_000 },
  ).then(
    async (service) => {
      await service.stop('SIGKILL');
      return 'the config service started';
    },
    (error: Error) => error.message,
  );
  expect(message).toMatch(/config exited with 78/);
  expect(message).toContain('TRUSTED_PROXIES: entry 2 is not an address or CIDR range');
});
