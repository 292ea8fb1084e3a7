import { CONTRACT_FIXTURE_PATH, loadFixture } from '../src/fixture';
import { startLivevoxSandbox, type LivevoxSandbox } from '../src/livevox-sandbox';

const fixture = loadFixture(CONTRACT_FIXTURE_PATH).livevox;
const user = fixture.users[0]!;

let livevox: LivevoxSandbox;
beforeAll(async () => {
  livevox = await startLivevoxSandbox({ fixture });
});
afterAll(() => livevox.close());
beforeEach(() => livevox.reset());

async function login(password = user.password) {
  const response = await fetch(`${livevox.url}/session/v6.0/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userName: user.userName, password, clientName: user.clientName }),
  });
  return { status: response.status, json: await response.json() };
}

const callDetail = (sessionId: string, body: unknown, query = '') =>
  fetch(`${livevox.url}/reporting/v6.0/standard/callDetail${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'LV-Session': sessionId },
    body: JSON.stringify(body),
  });

const october25 = {
  startDate: Date.parse('2026-10-25T04:00:00Z'),
  endDate: Date.parse('2026-10-26T04:00:00Z'),
};

test('a login with the right credentials opens a session', async () => {
  const { status, json } = await login();
  expect(status).toBe(200);
  expect(json).toEqual(
    expect.objectContaining({ sessionId: expect.any(String), userId: expect.any(Number) }),
  );
});

test('a wrong password is refused', async () => {
  expect((await login('wrong')).status).toBe(401);
});

test('call detail lists a service-s calls in the window, in pages', async () => {
  const { json: session } = await login();
  const first = await (
    await callDetail(session.sessionId, { ...october25, serviceId: 9001 }, '?count=2')
  ).json();
  expect(first.callDetails.map((r: { id: string }) => r.id)).toEqual(['lv-1', 'lv-2']);
  expect(first.next).toBe(2);
  const second = await (
    await callDetail(session.sessionId, { ...october25, serviceId: 9001 }, '?offset=2&count=2')
  ).json();
  expect(second.callDetails.map((r: { id: string }) => r.id)).toEqual(['lv-3']);
  expect(second.next).toBeNull();
  expect(Object.keys(first.callDetails[0]).sort()).toEqual(
    [
      'account_number',
      'caller_login',
      'campaign_id',
      'connect',
      'finish',
      'first_name',
      'id',
      'last_name',
      'phone_dialed',
      'result',
      'service_name',
      'start',
    ].sort(),
  );
});

test('the window end is excluded', async () => {
  const { json: session } = await login();
  const body = { startDate: october25.startDate, endDate: 1792965600000, serviceId: 9001 };
  expect((await (await callDetail(session.sessionId, body)).json()).callDetails).toEqual([]);
});

test('without a session, or after it expires, requests are refused with 401', async () => {
  expect((await callDetail('nope', { ...october25, serviceId: 9001 })).status).toBe(401);
  const { json: session } = await login();
  livevox.expireSessions();
  const expired = await callDetail(session.sessionId, { ...october25, serviceId: 9001 });
  expect(expired.status).toBe(401);
  expect((await expired.json()).message).toMatch(/expired/);
});

test('sessions expire after the idle time knob', async () => {
  livevox.setKnobs({ sessionTtlMs: 30 });
  const { json: session } = await login();
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect((await callDetail(session.sessionId, { ...october25, serviceId: 9001 })).status).toBe(401);
});

test('services are listed', async () => {
  const { json: session } = await login();
  const response = await fetch(`${livevox.url}/configuration/v6.0/services`, {
    headers: { 'LV-Session': session.sessionId },
  });
  expect(((await response.json()) as { services: unknown }).services).toEqual(fixture.services);
});

test('under the clock knob, call detail lists only the calls that have ended by then', async () => {
  // The contract calls with their finish times (18:03:10, 18:05:30, 18:10:09 Eastern).
  const withFinish = {
    ...fixture,
    calls: fixture.calls.map((call, i) => ({
      ...call,
      finishMs: call.startMs + [190_000, 30_000, 9_000, 120_000][i]!,
    })),
  };
  const dialer = await startLivevoxSandbox({ fixture: withFinish });
  try {
    const session = await (
      await fetch(`${dialer.url}/session/v6.0/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          userName: user.userName,
          password: user.password,
          clientName: user.clientName,
        }),
      })
    ).json();
    const ids = async () => {
      const response = await fetch(`${dialer.url}/reporting/v6.0/standard/callDetail`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'LV-Session': session.sessionId },
        body: JSON.stringify({ ...october25, serviceId: 9001 }),
      });
      return ((await response.json()).callDetails as { id: string }[]).map((r) => r.id);
    };
    // 18:05:30 Eastern (EDT): lv-1 ended at 18:03:10, lv-2 just now; lv-3 has not started.
    dialer.setKnobs({ clockMs: Date.parse('2026-10-25T22:05:30Z') });
    expect(await ids()).toEqual(['lv-1', 'lv-2']);
    dialer.setKnobs({ clockMs: Date.parse('2026-10-25T22:05:29Z') });
    expect(await ids()).toEqual(['lv-1']);
    dialer.setKnobs({ clockMs: null });
    expect(await ids()).toEqual(['lv-1', 'lv-2', 'lv-3']);
  } finally {
    await dialer.close();
  }
});
