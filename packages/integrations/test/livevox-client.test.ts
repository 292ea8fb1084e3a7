import {
  CONTRACT_FIXTURE_PATH,
  loadFixture,
  startLivevoxSandbox,
  type LivevoxSandbox,
} from '@call-sync/sandbox';
import { createLivevoxClient, LivevoxAuthError, type LivevoxClientOptions } from '../src';

const fixture = loadFixture(CONTRACT_FIXTURE_PATH).livevox;
const user = fixture.users[0]!;
const october25 = { start: new Date('2026-10-25T04:00:00Z'), end: new Date('2026-10-26T04:00:00Z') };

let livevox: LivevoxSandbox;
beforeAll(async () => {
  livevox = await startLivevoxSandbox({ fixture });
});
afterAll(() => livevox.close());
beforeEach(() => livevox.reset());

const client = (overrides: Partial<LivevoxClientOptions> = {}) =>
  createLivevoxClient({ baseUrl: livevox.url, ...user, timeoutMs: 1000, ...overrides });
const logins = () => livevox.requestLog().filter((r) => r.path === '/session/v6.0/login');

test('fetches every page of a service-s call detail for a window', async () => {
  const rows = await client({ pageSize: 1 }).fetchCallDetail(9001, october25);
  expect(rows.map((r) => r.id)).toEqual(['lv-1', 'lv-2', 'lv-3']);
  expect(rows[0]).toMatchObject({ account_number: 'nc05-van-100001', result: 'Agent Cust 1 (167)' });
});

test('reads VAN phone ids from the configured call-detail field into phone_id', async () => {
  const rows = await client({ phoneIdField: 'van_phone_id' }).fetchCallDetail(9001, october25);
  expect(rows.map((r) => [r.id, r.phone_id])).toEqual([
    ['lv-1', ''],
    ['lv-2', '5100002'],
    ['lv-3', ''],
  ]);
  // Without the setting no field is read, whatever the rows carry.
  const plain = await client().fetchCallDetail(9001, october25);
  expect(plain.every((r) => r.phone_id === undefined)).toBe(true);
});

test('logs in once and reuses the session', async () => {
  const lv = client();
  await lv.fetchCallDetail(9001, october25);
  await lv.fetchCallDetail(9002, october25);
  await lv.listServices();
  expect(logins()).toHaveLength(1);
});

test('logs in again once when the session has expired', async () => {
  const lv = client();
  await lv.fetchCallDetail(9001, october25);
  livevox.expireSessions();
  const rows = await lv.fetchCallDetail(9002, october25);
  expect(rows.map((r) => r.id)).toEqual(['lv-4']);
  expect(logins()).toHaveLength(2);
});

test('a refused login is an auth error that does not contain the password', async () => {
  const error = await client({ password: 'super-secret-wrong' })
    .listServices()
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(LivevoxAuthError);
  expect((error as Error).message).not.toContain('super-secret-wrong');
  expect((error as Error).message).toContain(user.userName);
});

test('lists services', async () => {
  expect(await client({ pageSize: 1 }).listServices()).toEqual(fixture.services);
});

test('a 429 and a 503 are retried after a backoff, and the page is read in the end', async () => {
  const lv = client({ retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 } });
  await lv.listServices(); // logged in, so the faults land on the call-detail request
  livevox.failNextRequests(1, '429');
  livevox.failNextRequests(1, '5xx');
  const rows = await lv.fetchCallDetail(9001, october25);
  expect(rows.map((r) => r.id)).toEqual(['lv-1', 'lv-2', 'lv-3']);
  const detail = livevox.requestLog().filter((r) => r.path.includes('callDetail'));
  expect(detail.map((r) => r.status)).toEqual([429, 503, 200]);
});

test('faults beyond the retry budget surface as an error naming the status, without the password', async () => {
  const lv = client({ retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50 } });
  await lv.listServices();
  livevox.failNextRequests(2, '5xx');
  const failure = await lv.fetchCallDetail(9001, october25).then(
    () => new Error('the call detail was read despite the faults'),
    (error: Error) => error,
  );
  expect(failure.message).toMatch(/503/);
  expect(failure.message).not.toContain(user.password);
});
