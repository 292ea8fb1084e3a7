import {
  CONTRACT_FIXTURE_PATH,
  loadFixture,
  startLivevoxSandbox,
  startVanSandbox,
  type LivevoxSandbox,
  type VanSandbox,
} from '@call-sync/sandbox';
import { notHome } from './support/van-requests';
import {
  createLivevoxClient,
  createTokenBucket,
  createVanClient,
  LivevoxError,
  VanOutcomeUnknownError,
  VanServerError,
} from '../src';

// Answers of shapes VAN and Livevox never document but proxies and gateways produce: a JSON body
// cut half way and a 200 that carries an error. Each must become a typed error naming the
// endpoint, never a crash, a success or a leaked credential.

const fixture = loadFixture(CONTRACT_FIXTURE_PATH);
const voterKey = fixture.van.keys[0]!;
const user = fixture.livevox.users[0]!;
const october25 = { start: new Date('2026-10-25T04:00:00Z'), end: new Date('2026-10-26T04:00:00Z') };

let van: VanSandbox;
let livevox: LivevoxSandbox;
beforeAll(async () => {
  van = await startVanSandbox({ fixture: fixture.van });
  livevox = await startLivevoxSandbox({ fixture: fixture.livevox });
});
afterAll(async () => {
  await van.close();
  await livevox.close();
});
beforeEach(() => {
  van.reset();
  livevox.reset();
});

const vanClient = () =>
  createVanClient({
    baseUrl: van.url,
    applicationName: voterKey.applicationName,
    apiKey: voterKey.apiKey,
    mode: 0,
    timeoutMs: 1000,
    rateLimiter: createTokenBucket(1000, 50),
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 50 },
  });
const livevoxClient = () =>
  createLivevoxClient({
    baseUrl: livevox.url,
    ...user,
    timeoutMs: 1000,
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 50 },
  });

/** The error, checked to carry no credential in its message or its serialised form. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  for (const secret of [voterKey.apiKey, user.password]) {
    expect(String((error as Error).message)).not.toContain(secret);
    expect(JSON.stringify(error)).not.toContain(secret);
  }
  return error as Error;
}

describe('VAN', () => {
  test('a truncated JSON read is retried, and when it stays truncated the error names the endpoint and says so', async () => {
    van.failNextRequests(1, 'truncated-json', 'GET');
    expect(await vanClient().listResultCodes()).toHaveLength(4);

    van.failNextRequests(3, 'truncated-json', 'GET');
    const error = await failure(vanClient().listResultCodes());
    expect(error).toBeInstanceOf(VanServerError);
    expect(error.message).toMatch(/\/canvassResponses\/resultCodes/);
    expect(error.message).toMatch(/not readable JSON/);
  });

  test("a 200 with an error body on a read is a server error carrying VAN's text, retried like a 5xx", async () => {
    van.failNextRequests(1, 'error-200', 'GET');
    expect(await vanClient().listResultCodes()).toHaveLength(4);

    van.failNextRequests(3, 'error-200', 'GET');
    const error = await failure(vanClient().listResultCodes());
    expect(error).toBeInstanceOf(VanServerError);
    expect(error.message).toMatch(/\/canvassResponses\/resultCodes.*An unknown error occurred/);
  });

  test('a 200 with an error body on a post is an unknown outcome, never a success, and is not posted again', async () => {
    van.failNextPosts(1, 'error-200');
    const error = await failure(vanClient().postCanvassResponse(100_001, notHome));
    expect(error).toBeInstanceOf(VanOutcomeUnknownError);
    expect(error.message).toMatch(/\/people\/\{vanId\}\/canvassResponses|canvassResponses/);
    expect(van.journal({ vanId: 100_001 })).toHaveLength(1);
  });
});

describe('Livevox', () => {
  test('one unexpected answer is retried', async () => {
    const lv = livevoxClient();
    await lv.listServices();
    livevox.failNextRequests(1, 'html');
    livevox.failNextRequests(1, 'error-200');
    expect((await lv.fetchCallDetail(9001, october25)).map((r) => r.id)).toEqual(['lv-1', 'lv-2', 'lv-3']);
  });

  test.each(['html', 'truncated-json', 'error-200'] as const)(
    'a 200 %s answer to call detail is a Livevox error naming the endpoint',
    async (kind) => {
      const lv = livevoxClient();
      await lv.listServices(); // logged in, so the fault hits the call-detail request
      livevox.failNextRequests(3, kind);
      const error = await failure(lv.fetchCallDetail(9001, october25));
      expect(error).toBeInstanceOf(LivevoxError);
      expect(error.message).toMatch(/callDetail/);
      expect(error.message).toMatch(kind === 'error-200' ? /Internal reporting error/ : /answer is not JSON/);
      // The client is still usable.
      expect((await lv.fetchCallDetail(9001, october25)).map((r) => r.id)).toEqual(['lv-1', 'lv-2', 'lv-3']);
    },
  );
});
