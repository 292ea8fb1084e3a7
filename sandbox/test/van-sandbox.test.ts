import { CONTRACT_FIXTURE_PATH, loadFixture } from '../src/fixture';
import { startVanSandbox, type VanSandbox } from '../src/van-sandbox';

const fixture = loadFixture(CONTRACT_FIXTURE_PATH).van;
const voterKey = fixture.keys[0]!;
const basic = (password: string, user = voterKey.applicationName): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const VOTERS = basic(`${voterKey.apiKey}|0`);

const validContext = {
  contactTypeId: 1,
  inputTypeId: 11,
  dateCanvassed: '2026-10-25T18:00:00-04:00',
  phone: { dialingPrefix: '1', phoneNumber: '9195550101' },
  skipMatching: true,
};

let van: VanSandbox;
beforeAll(async () => {
  van = await startVanSandbox({ fixture });
});
afterAll(() => van.close());
beforeEach(() => van.reset());

async function call(path: string, init: { method?: string; body?: unknown; auth?: string } = {}) {
  const response = await fetch(`${van.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: init.auth ?? VOTERS, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

const post = (vanId: number | string, body: unknown) =>
  call(`/v4/people/${vanId}/canvassResponses`, { method: 'POST', body });

describe('VAN sandbox authentication', () => {
  test('the right key in its mode sees its profile', async () => {
    const { status, json } = await call('/v4/apiKeyProfiles');
    expect(status).toBe(200);
    expect(json[0]).toMatchObject({ hasMyVoters: true, hasMyCampaign: false });
  });

  test('the right key in the wrong mode is refused like a bad key', async () => {
    const wrongMode = await call('/v4/apiKeyProfiles', { auth: basic(`${voterKey.apiKey}|1`) });
    const badKey = await call('/v4/apiKeyProfiles', { auth: basic('not-a-key|0') });
    expect(wrongMode.status).toBe(401);
    expect(badKey.status).toBe(401);
    const withoutReference = (json: { errors: { referenceCode?: string }[] }) =>
      json.errors.map(({ referenceCode: _ignored, ...rest }) => rest);
    expect(withoutReference(wrongMode.json)).toEqual(withoutReference(badKey.json));
  });

  test('a request without credentials is refused', async () => {
    expect((await call('/v4/canvassResponses/resultCodes', { auth: '' })).status).toBe(401);
  });
});

describe('VAN sandbox lists', () => {
  test('survey questions come in pages linked by an absolute nextPageLink', async () => {
    const first = await call('/v4/surveyQuestions?statuses=Active&$top=3');
    expect(first.json.count).toBe(4);
    expect(first.json.items.map((q: { surveyQuestionId: number }) => q.surveyQuestionId)).toEqual([
      101, 102, 103,
    ]);
    expect(first.json.nextPageLink).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v4\/surveyQuestions\?/);
    const next = new URL(first.json.nextPageLink);
    const second = await call(`${next.pathname}${next.search}`);
    expect(second.json.items.map((q: { surveyQuestionId: number }) => q.surveyQuestionId)).toEqual([104]);
    expect(second.json.nextPageLink).toBeNull();
  });

  test('without a status filter, inactive activist codes are listed too', async () => {
    expect((await call('/v4/activistCodes')).json.count).toBe(4);
    expect((await call('/v4/activistCodes?statuses=Active')).json.count).toBe(3);
  });

  test('$top above 200 is refused', async () => {
    const { status, json } = await call('/v4/surveyQuestions?$top=201');
    expect(status).toBe(400);
    expect(json.errors[0].properties).toEqual(['$top']);
  });

  test('result codes, contact types and input types are plain arrays', async () => {
    expect((await call('/v4/canvassResponses/resultCodes')).json).toHaveLength(4);
    expect((await call('/v4/canvassResponses/contactTypes')).json).toContainEqual(
      expect.objectContaining({ contactTypeId: 1, name: 'Phone' }),
    );
    expect((await call('/v4/canvassResponses/inputTypes')).json).toContainEqual({
      inputTypeId: 11,
      name: 'API',
    });
  });
});

describe('VAN sandbox canvass response rules', () => {
  test('a non-contact with a known result code is accepted with 204', async () => {
    const { status, json } = await post(100001, { canvassContext: validContext, resultCodeId: 18 });
    expect(status).toBe(204);
    expect(json).toBeUndefined();
  });

  test('a contact with a survey response and an activist code is accepted', async () => {
    const { status } = await post(42, {
      canvassContext: validContext,
      responses: [
        { type: 'SurveyResponse', surveyQuestionId: 101, surveyResponseId: 1011 },
        { type: 'ActivistCode', activistCodeId: 201, action: 'Apply' },
      ],
    });
    expect(status).toBe(204);
  });

  test('an unknown result code gets VAN-s own words', async () => {
    const { status, json } = await post(100001, { canvassContext: validContext, resultCodeId: 999 });
    expect(status).toBe(400);
    expect(json.errors[0]).toMatchObject({
      code: 'INVALID_PARAMETER',
      text: "'resultCodeId' must be a valid result code in the current context.",
      properties: ['resultCodeId'],
    });
    expect(json.errors[0].referenceCode).toEqual(expect.any(String));
  });

  test('a response that belongs to another question is refused', async () => {
    const { status, json } = await post(100001, {
      canvassContext: validContext,
      responses: [{ type: 'SurveyResponse', surveyQuestionId: 101, surveyResponseId: 1021 }],
    });
    expect(status).toBe(400);
    expect(json.errors[0].properties).toEqual(['responses[0].surveyResponseId']);
  });

  test('an activist code of another key is refused', async () => {
    const { json } = await post(100001, {
      canvassContext: validContext,
      responses: [{ type: 'ActivistCode', activistCodeId: 301, action: 'Apply' }],
    });
    expect(json.errors[0].properties).toEqual(['responses[0].activistCodeId']);
  });

  test('a phoneId that is a whole number is accepted with the phone', async () => {
    const { status } = await post(100001, {
      canvassContext: { ...validContext, phoneId: 5100002 },
      resultCodeId: 20,
    });
    expect(status).toBe(204);
    expect(van.journal()[0]?.body).toMatchObject({ canvassContext: { phoneId: 5100002 } });
  });

  test.each([['5100002'], [51.5], [0], [null]])('a phoneId of %j is refused', async (phoneId) => {
    const { status, json } = await post(100001, {
      canvassContext: { ...validContext, phoneId },
      resultCodeId: 20,
    });
    expect(status).toBe(400);
    expect(json.errors[0]).toMatchObject({
      text: "'phoneId' must be an integer.",
      properties: ['canvassContext.phoneId'],
    });
  });

  test('a dialing prefix that is not a calling code is refused', async () => {
    const { status, json } = await post(100001, {
      canvassContext: { ...validContext, phone: { dialingPrefix: '+1', phoneNumber: '9195550101' } },
      resultCodeId: 20,
    });
    expect(status).toBe(400);
    expect(json.errors[0].properties).toEqual(['canvassContext.phone.dialingPrefix']);
  });

  test('a contact type of another key is refused: ids differ between committees', async () => {
    // Auto Dial is 73 for the MyCampaign key, 52 for this one.
    const { status, json } = await post(100001, {
      canvassContext: { ...validContext, contactTypeId: 73 },
      resultCodeId: 20,
    });
    expect(status).toBe(400);
    expect(json.errors[0].properties).toEqual(['canvassContext.contactTypeId']);
    const own = await post(100001, {
      canvassContext: { ...validContext, contactTypeId: 52 },
      resultCodeId: 20,
    });
    expect(own.status).toBe(204);
  });

  test('canvassContext is required', async () => {
    const { status, json } = await post(100001, { resultCodeId: 1 });
    expect(status).toBe(400);
    expect(json.errors[0].properties).toEqual(['canvassContext']);
  });

  test('a result code and responses together are refused, and so is neither', async () => {
    const both = await post(100001, {
      canvassContext: validContext,
      resultCodeId: 1,
      responses: [{ type: 'SurveyResponse', surveyQuestionId: 101, surveyResponseId: 1011 }],
    });
    const neither = await post(100001, { canvassContext: validContext });
    expect(both.status).toBe(400);
    expect(neither.status).toBe(400);
    expect(both.json.errors[0].text).toMatch(/Only one of/);
    expect(neither.json.errors[0].text).toMatch(/Either/);
  });

  test('a person outside the known VAN ids is not found', async () => {
    const { status, json } = await post(999999999, { canvassContext: validContext, resultCodeId: 1 });
    expect(status).toBe(404);
    expect(json.errors[0].code).toBe('NOT_FOUND');
  });

  test('malformed JSON is answered in VAN-s error shape', async () => {
    const response = await fetch(`${van.url}/v4/people/42/canvassResponses`, {
      method: 'POST',
      headers: { authorization: VOTERS, 'content-type': 'application/json' },
      body: '{"canvassContext":',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe(
      'INVALID_PARAMETER',
    );
  });
});

describe('VAN sandbox journal', () => {
  test('every write is journaled with its outcome and the app name, never the key', async () => {
    await post(100001, { canvassContext: validContext, resultCodeId: 1 });
    await post(100002, { canvassContext: validContext, resultCodeId: 999 });
    const journal = van.journal();
    expect(journal.map((e) => [e.vanId, e.status])).toEqual([
      [100001, 204],
      [100002, 400],
    ]);
    expect(journal[0]!.applicationName).toBe('call-sync-test');
    expect(JSON.stringify(journal)).not.toContain(voterKey.apiKey);
  });

  test('the journal can be filtered by vanId over HTTP and reset', async () => {
    await post(100001, { canvassContext: validContext, resultCodeId: 1 });
    await post(100002, { canvassContext: validContext, resultCodeId: 1 });
    const filtered = (await (await fetch(`${van.url}/__sandbox/journal?vanId=100002`)).json()) as {
      entries: { vanId: number }[];
    };
    expect(filtered.entries).toHaveLength(1);
    expect(filtered.entries[0]!.vanId).toBe(100002);
    await fetch(`${van.url}/__sandbox/journal`, { method: 'DELETE' });
    expect(van.journal()).toEqual([]);
  });
});

describe('VAN sandbox knobs', () => {
  test('a throttled answer has no Retry-After and VAN-s hint in the text', async () => {
    await fetch(`${van.url}/__sandbox/knobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ throttleRate: 1, throttleHintMs: 30 }),
    });
    const { status, headers, json } = await call('/v4/canvassResponses/resultCodes');
    expect(status).toBe(429);
    expect(headers.get('retry-after')).toBeNull();
    expect(json).toEqual({ errors: [{ code: '429', text: 'Rate limit exceeded. Try again in 30 ms.' }] });
  });

  test('a throttled answer can carry Retry-After', async () => {
    van.setKnobs({ throttleRate: 1, retryAfterRate: 1, retryAfterSeconds: 2 });
    const { status, headers } = await call('/v4/canvassResponses/resultCodes');
    expect(status).toBe(429);
    expect(headers.get('retry-after')).toBe('2');
  });

  test('bad knob values are refused', async () => {
    const response = await fetch(`${van.url}/__sandbox/knobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ throttleRate: 3 }),
    });
    expect(response.status).toBe(400);
  });

  test('failNextPosts fails exactly that many writes, then VAN behaves', async () => {
    van.failNextPosts(1, '5xx');
    van.failNextPosts(1, 'html');
    const first = await post(100001, { canvassContext: validContext, resultCodeId: 1 });
    const second = await fetch(`${van.url}/v4/people/100001/canvassResponses`, {
      method: 'POST',
      headers: { authorization: VOTERS, 'content-type': 'application/json' },
      body: JSON.stringify({ canvassContext: validContext, resultCodeId: 1 }),
    });
    const third = await post(100001, { canvassContext: validContext, resultCodeId: 1 });
    expect(first.status).toBe(500);
    expect(second.status).toBe(503);
    expect(second.headers.get('content-type')).toMatch(/text\/html/);
    expect(third.status).toBe(204);
    expect(van.journal().map((e) => e.fault)).toEqual(['5xx', 'html', undefined]);
  });

  test('the per-key rate limit answers 429 beyond the allowed requests per second', async () => {
    van.setKnobs({ rateLimitPerSecond: 3 });
    const statuses = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await call('/v4/canvassResponses/resultCodes')).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  test('a slow answer arrives after the configured delay', async () => {
    van.setKnobs({ timeoutRate: 1, timeoutAnswerAfterMs: 150 });
    const started = Date.now();
    expect((await call('/v4/canvassResponses/resultCodes')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});
