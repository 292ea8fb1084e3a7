import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { CONTRACT_FIXTURE_PATH, loadFixture, startVanSandbox, type VanSandbox } from '@call-sync/sandbox';
import { waitUntil } from '@call-sync/testkit';
import { notHome } from './support/van-requests';
import {
  createDailyRequestBudget,
  createTokenBucket,
  createVanClient,
  VanAuthError,
  VanBudgetExhaustedError,
  VanOutcomeUnknownError,
  VanServerError,
  VanThrottledError,
  VanTimeoutError,
  VanValidationError,
  classifyVanPostFailure,
  type VanClientOptions,
} from '../src';

const fixture = loadFixture(CONTRACT_FIXTURE_PATH).van;
const voterKey = fixture.keys[0]!;

let van: VanSandbox;
beforeAll(async () => {
  van = await startVanSandbox({ fixture });
});
afterAll(() => van.close());
beforeEach(() => van.reset());

function client(overrides: Partial<VanClientOptions> = {}) {
  return createVanClient({
    baseUrl: van.url,
    applicationName: voterKey.applicationName,
    apiKey: voterKey.apiKey,
    mode: 0,
    timeoutMs: 5000, // tests of timeouts set their own; a loaded machine must not make the rest time out
    // A private limiter per test, so tests do not queue behind each other's shared bucket.
    rateLimiter: createTokenBucket(1000, 50),
    retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 2000 },
    ...overrides,
  });
}

const requestsTo = (path: string) => van.requestLog().filter((r) => r.path === path);

describe('VAN client reads', () => {
  test('follows nextPageLink to the last page, asking for active items only', async () => {
    const questions = await client({ pageSize: 2 }).listSurveyQuestions();
    expect(questions.map((q) => q.surveyQuestionId)).toEqual([101, 102, 103, 104]);
    expect(requestsTo('/v4/surveyQuestions')).toHaveLength(2);
  });

  test('fetchMetadata returns questions, active activist codes, result, contact and input types', async () => {
    const metadata = await client().fetchMetadata();
    expect(metadata.surveyQuestions).toHaveLength(4);
    expect(metadata.activistCodes.map((c) => c.activistCodeId)).toEqual([201, 202, 203]);
    expect(metadata.resultCodes.map((c) => c.resultCodeId)).toEqual([1, 18, 19, 20]);
    expect(metadata.contactTypes.map((t) => `${t.contactTypeId} ${t.name}`)).toEqual([
      '1 Phone',
      '2 Walk',
      '52 Auto Dial',
      '61 Phone Bank',
    ]);
    expect(metadata.inputTypes).toContainEqual({ inputTypeId: 11, name: 'API' });
    // One read each: the types come with the run's metadata, not per call.
    expect(requestsTo('/v4/canvassResponses/contactTypes')).toHaveLength(1);
    expect(requestsTo('/v4/canvassResponses/inputTypes')).toHaveLength(1);
  });

  test('lists contact types and input types, and reads the key profile', async () => {
    const van0 = client();
    expect(await van0.listContactTypes()).toContainEqual(expect.objectContaining({ contactTypeId: 1 }));
    expect(await van0.listInputTypes()).toContainEqual({ inputTypeId: 11, name: 'API' });
    const profile = await van0.getApiKeyProfile();
    expect(profile).toMatchObject({ hasMyVoters: true, hasMyCampaign: false });
    expect(profile).not.toHaveProperty('keyReference');
  });

  test('a key in the wrong mode is an auth error that does not reveal the key', async () => {
    const error = await client({ mode: 1 })
      .getApiKeyProfile()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VanAuthError);
    expect(String((error as Error).message)).not.toContain(voterKey.apiKey);
    expect(JSON.stringify(error)).not.toContain(voterKey.apiKey);
  });

  test('a 5xx on a read is retried until it succeeds', async () => {
    van.failNextRequests(2, '5xx', 'GET');
    expect(await client().listResultCodes()).toHaveLength(4);
    expect(requestsTo('/v4/canvassResponses/resultCodes').map((r) => r.status)).toEqual([500, 500, 200]);
  });

  test('an HTML page from a proxy is recognised by its content type and retried', async () => {
    van.failNextRequests(1, 'html', 'GET');
    expect(await client().listResultCodes()).toHaveLength(4);
  });

  test('HTML pages until the retries run out become a server error, not a JSON parse crash', async () => {
    van.setKnobs({ htmlErrorRate: 1 });
    const error = await client()
      .listResultCodes()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VanServerError);
    expect((error as Error).message).toMatch(/text\/html/);
  });

  test('a 429 without Retry-After waits for the "Try again in N ms" hint', async () => {
    van.setKnobs({ throttleHintMs: 120 });
    van.failNextRequests(1, '429', 'GET');
    const started = Date.now();
    await client({ retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2000 } }).listResultCodes();
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
    expect(requestsTo('/v4/canvassResponses/resultCodes').map((r) => r.status)).toEqual([429, 200]);
  });

  test('a 429 with Retry-After waits the seconds it names', async () => {
    van.setKnobs({ retryAfterSeconds: 1 });
    van.failNextRequests(1, '429-retry-after', 'GET');
    const started = Date.now();
    await client().listResultCodes();
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
  });

  test('a Retry-After longer than we are willing to wait ends the retries', async () => {
    van.setKnobs({ retryAfterSeconds: 30 });
    van.failNextRequests(1, '429-retry-after', 'GET');
    const error = await client()
      .listResultCodes()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VanThrottledError);
    expect((error as VanThrottledError).retryAfterMs).toBe(30_000);
  });

  test('a read that never answers times out after its retries', async () => {
    van.setKnobs({ timeoutRate: 1, timeoutAnswerAfterMs: null });
    const error = await client({ timeoutMs: 100, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 10 } })
      .listResultCodes()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VanTimeoutError);
    expect(requestsTo('/v4/canvassResponses/resultCodes')).toHaveLength(2);
  });
});

describe('VAN client canvass response posts', () => {
  test('a valid post returns a receipt of what VAN accepted', async () => {
    const receipt = await client().postCanvassResponse(100001, notHome);
    expect(receipt).toMatchObject({ vanId: 100001, status: 204, dateCanvassed: '2026-10-25T18:00:00-04:00' });
    expect(van.journal({ vanId: 100001 }).map((e) => e.status)).toEqual([204]);
  });

  test('VAN-s validation text and properties surface on the error, and it is not retried', async () => {
    const error = await client()
      .postCanvassResponse(100001, { ...notHome, resultCodeId: 999 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VanValidationError);
    expect((error as VanValidationError).text).toBe(
      "'resultCodeId' must be a valid result code in the current context.",
    );
    expect((error as VanValidationError).properties).toEqual(['resultCodeId']);
    expect((error as VanValidationError).referenceCode).toEqual(expect.any(String));
    expect(van.journal()).toHaveLength(1);
  });

  test('a 5xx on a post is an unknown outcome, and the journal shows it was not posted again', async () => {
    van.failNextPosts(1, '5xx');
    const error = await client()
      .postCanvassResponse(100002, notHome)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VanOutcomeUnknownError);
    expect((error as VanOutcomeUnknownError).reason).toBe('server-error');
    expect(van.journal({ vanId: 100002 })).toHaveLength(1);
  });

  test('an HTML page on a post is an unknown outcome too', async () => {
    van.failNextPosts(1, 'html');
    const error = await client()
      .postCanvassResponse(100002, notHome)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VanOutcomeUnknownError);
    expect(van.journal({ vanId: 100002 })).toHaveLength(1);
  });

  test('a post that VAN processes too slowly is an unknown outcome, never re-posted', async () => {
    van.setKnobs({ timeoutAnswerAfterMs: 250 });
    van.failNextPosts(1, 'timeout');
    const error = await client({ timeoutMs: 100 })
      .postCanvassResponse(100003, notHome)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VanOutcomeUnknownError);
    expect((error as VanOutcomeUnknownError).reason).toBe('timeout');
    // VAN records it once its slow answer is done: exactly why the client must not have sent it again.
    await waitUntil(() => van.journal({ vanId: 100003 }).some((e) => e.status !== null), {
      what: 'the slow post answered in the journal',
    });
    expect(van.journal({ vanId: 100003 }).map((e) => e.status)).toEqual([204]);
  });

  test('a 429 on a post is retried: VAN refused it before processing', async () => {
    van.failNextPosts(2, '429');
    const receipt = await client().postCanvassResponse(100004, notHome);
    expect(receipt.attempts).toBe(3);
    expect(van.journal({ vanId: 100004 }).map((e) => e.status)).toEqual([429, 429, 204]);
  });

  test('an unknown person is a final validation error', async () => {
    const error = await client()
      .postCanvassResponse(999_999_999, notHome)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VanValidationError);
    expect((error as VanValidationError).status).toBe(404);
  });
});

describe('VAN client limits and metrics', () => {
  test('the rate limiter keeps a burst under the key-s limit', async () => {
    van.setKnobs({ rateLimitPerSecond: 20 });
    const limited = client({ rateLimiter: createTokenBucket(18), retry: { maxAttempts: 1 } });
    const started = Date.now();
    await Promise.all(Array.from({ length: 25 }, () => limited.listResultCodes()));
    const statuses = van.requestLog().map((r) => r.status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1200);
  });

  test('without the limiter the same burst is throttled by VAN', async () => {
    van.setKnobs({ rateLimitPerSecond: 20 });
    const unlimited = client({ retry: { maxAttempts: 1 } });
    const results = await Promise.allSettled(Array.from({ length: 25 }, () => unlimited.listResultCodes()));
    expect(results.filter((r) => r.status === 'rejected').length).toBeGreaterThan(0);
  });

  test('a spent daily budget refuses before sending anything', async () => {
    const budget = createDailyRequestBudget(2);
    const limited = client({ budget });
    await limited.listResultCodes();
    await limited.postCanvassResponse(100001, notHome);
    const error = await limited.postCanvassResponse(100002, notHome).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VanBudgetExhaustedError);
    expect((error as Error).message).not.toContain(voterKey.apiKey);
    expect(van.journal()).toHaveLength(1);
    expect(budget.remaining()).toBe(0);
  });

  test('retries spend the budget too, since VAN bills each request', async () => {
    const budget = createDailyRequestBudget(10);
    van.failNextRequests(2, '5xx', 'GET');
    await client({ budget }).listResultCodes();
    expect(budget.remaining()).toBe(7);
  });

  test('every request is counted by endpoint, method and status, and no label holds the key', async () => {
    const registry = new Registry();
    van.failNextRequests(1, '5xx', 'GET');
    await client({ metrics: registry }).listResultCodes();
    await client({ metrics: registry }).postCanvassResponse(100001, notHome);
    const text = await registry.metrics();
    expect(text).toContain(
      'van_requests_total{van_endpoint="/canvassResponses/resultCodes",method="GET",status="500"} 1',
    );
    expect(text).toContain(
      'van_requests_total{van_endpoint="/canvassResponses/resultCodes",method="GET",status="200"} 1',
    );
    expect(text).toContain(
      'van_requests_total{van_endpoint="/people/{vanId}/canvassResponses",method="POST",status="204"} 1',
    );
    expect(text).not.toContain(voterKey.apiKey);
    expect(text).not.toContain('100001');
  });
});

// The transport's failures, on real sockets: whether a post may have reached VAN decides whether
// the call is ever posted again, so each failure is told by what happened on the wire.
describe('VAN client connections', () => {
  /** A TCP server that does `onRequest` with each connection once a request has arrived. */
  async function rawServer(onRequest: (socket: Socket) => void): Promise<{ url: string; server: Server }> {
    const server = createServer((socket) => {
      socket.once('data', () => onRequest(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
  }

  test('a post to a VAN nobody listens on never left: retried, then "not sent", not "outcome unknown"', async () => {
    const { url, server } = await rawServer(() => undefined);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await client({ baseUrl: url })
      .postCanvassResponse(100001, notHome)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VanServerError);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(classifyVanPostFailure(error).kind).toBe('not-sent');
  });

  test('a post whose connection is cut after it arrived is an unknown outcome, sent once', async () => {
    let requests = 0;
    const { url, server } = await rawServer((socket) => {
      requests += 1;
      socket.destroy();
    });
    try {
      const error = await client({ baseUrl: url })
        .postCanvassResponse(100001, notHome)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VanOutcomeUnknownError);
      expect((error as VanOutcomeUnknownError).reason).toBe('connection-lost');
      expect(requests).toBe(1);
    } finally {
      server.close();
    }
  });

  test('a read whose connection is cut is tried again, on a new connection', async () => {
    let requests = 0;
    const { url, server } = await rawServer((socket) => {
      requests += 1;
      if (requests === 1) socket.destroy();
      else
        socket.end(
          'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n[]',
        );
    });
    try {
      await expect(client({ baseUrl: url }).listResultCodes()).resolves.toEqual([]);
      expect(requests).toBe(2);
    } finally {
      server.close();
    }
  });

  test('the API root may carry a path, which prefixes every request', async () => {
    const paths: string[] = [];
    const { url, server } = await rawServer((socket) => {
      socket.once('close', () => undefined);
      socket.on('error', () => undefined);
      socket.end(
        'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n[]',
      );
    });
    server.on('connection', (socket) =>
      socket.once('data', (chunk: Buffer) => paths.push(chunk.toString('latin1').split(' ')[1] ?? '')),
    );
    try {
      await client({ baseUrl: `${url}/van/v4` }).listResultCodes();
      expect(paths).toEqual(['/van/v4/canvassResponses/resultCodes']);
    } finally {
      server.close();
    }
  });

  test('an API root with credentials in it is refused before anything is sent', () => {
    expect(() => client({ baseUrl: 'https://user:secret@api.example.org' })).toThrow(
      'the VAN API root must be a bare URL',
    );
  });
});
