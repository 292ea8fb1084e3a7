import {
  CONTRACT_FIXTURE_PATH,
  loadFixture,
  startAirtableSandbox,
  type AirtableSandbox,
} from '@call-sync/sandbox';
import {
  AirtableRequestError,
  createAirtableClient,
  createTokenBucket,
  type AirtableClientOptions,
} from '../src';

const fixture = loadFixture(CONTRACT_FIXTURE_PATH).airtable;

let airtable: AirtableSandbox;
beforeAll(async () => {
  airtable = await startAirtableSandbox({ fixture });
});
afterAll(() => airtable.close());
beforeEach(() => airtable.reset());

function client(overrides: Partial<AirtableClientOptions> = {}) {
  return createAirtableClient({
    apiKey: 'patContractTestToken',
    baseId: 'appContractTest01',
    endpointUrl: airtable.url,
    rateLimiter: createTokenBucket(1000, 50),
    retry: { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 200 },
    ...overrides,
  });
}

test('reads every page of a table', async () => {
  const records = await client({ pageSize: 1 }).listAllRecords('Test Candidate');
  expect(records.map((r) => r.id)).toEqual(['recResult0000001', 'recResult0000002', 'recResult0000003']);
  expect(airtable.requestLog()).toHaveLength(3);
  expect(records[0]!.fields).toMatchObject({ 'Full On Screen Result': 'Strong Support', Success: true });
});

test('table names with spaces are read', async () => {
  const records = await client().listAllRecords('Term Codes');
  expect(records).toHaveLength(3);
});

test('a 429 is retried after a backoff and paging resumes at the same page', async () => {
  airtable.failNextRequests(1, '429');
  const records = await client({ pageSize: 2 }).listAllRecords('Test Candidate');
  expect(records).toHaveLength(3);
  expect(airtable.requestLog().map((r) => [r.status, r.offset === null])).toEqual([
    [429, true],
    [200, true],
    [200, false],
  ]);
});

test('clients of one base share its limiter and stay under 5 requests a second', async () => {
  const shared = { pageSize: 1, rateLimiter: undefined };
  const [records] = await Promise.all([
    client(shared).listAllRecords('Test Candidate'),
    client(shared).listAllRecords('Test Candidate'),
  ]);
  expect(records).toHaveLength(3);
  expect(airtable.requestLog().filter((r) => r.status === 429)).toHaveLength(0);
});

test('a wrong token is a clear error that does not contain the token', async () => {
  const error = await client({ apiKey: 'patSecretButWrong' })
    .listAllRecords('Listing')
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AirtableRequestError);
  expect((error as AirtableRequestError).status).toBe(401);
  expect((error as Error).message).not.toContain('patSecretButWrong');
});

test('429s beyond the retries become an error', async () => {
  airtable.failNextRequests(10, '429');
  const error = await client({ retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 } })
    .listAllRecords('Listing')
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AirtableRequestError);
  expect((error as AirtableRequestError).status).toBe(429);
});
