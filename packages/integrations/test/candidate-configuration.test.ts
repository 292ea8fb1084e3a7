import {
  CONTRACT_FIXTURE_PATH,
  loadFixture,
  startAirtableSandbox,
  type AirtableSandbox,
} from '@call-sync/sandbox';
import {
  createAirtableClient,
  createTokenBucket,
  parseConfiguration,
  readConfigurationInStages,
  readConfigurationTables,
  type Configuration,
} from '../src';

const fixture = loadFixture(CONTRACT_FIXTURE_PATH).airtable;

let airtable: AirtableSandbox;
let configuration: Configuration;
beforeAll(async () => {
  airtable = await startAirtableSandbox({ fixture });
  configuration = parseConfiguration(await readConfigurationTables(client()));
});
afterAll(() => airtable.close());

const client = () =>
  createAirtableClient({
    apiKey: 'patContractTestToken',
    baseId: 'appContractTest01',
    endpointUrl: airtable.url,
    rateLimiter: createTokenBucket(1000, 50),
  });

test('reads the listing, term codes and each candidate result table into indexed configuration', async () => {
  const testCandidate = configuration.candidates.get('test-candidate');
  expect(testCandidate?.candidate).toMatchObject({ district: 'nc05', strategy: 'full', system: 'van' });
  expect(testCandidate?.errors).toEqual([]);
  expect(testCandidate?.index.get('strong support')).toMatchObject({ success: true, tags: [201] });
  expect(configuration.termCodes.size).toBeGreaterThan(0);
  // The API key stays wrapped: serialising the configuration never shows it.
  expect(JSON.stringify([...configuration.candidates.values()])).not.toContain(
    '11111111-aaaa-4bbb-8ccc-000000000001',
  );
});

test('a candidate whose result table is missing gets a configuration error, the others still load', async () => {
  const paused = configuration.candidates.get('paused-candidate');
  expect(paused?.errors).toEqual([
    expect.objectContaining({
      table: 'Paused Candidate',
      message: expect.stringMatching(/could not be read|not found/),
    }),
  ]);
  expect(configuration.candidates.get('test-candidate')?.errors).toEqual([]);
});

test('read in stages: the listing and term codes first, then each result table once, when it is asked for', async () => {
  airtable.reset();
  const tablesRead = () =>
    airtable.requestLog().map((entry) => decodeURIComponent(entry.path.split('/')[3]!));
  const staged = await readConfigurationInStages(client());
  expect(tablesRead().sort()).toEqual(['Listing', 'Term Codes']);
  expect([...staged.listing.candidates.keys()]).toEqual([...configuration.candidates.keys()]);
  expect(staged.listing.termCodes).toEqual(configuration.termCodes);

  expect(await staged.candidate('test-candidate')).toEqual(configuration.candidates.get('test-candidate'));
  expect(await staged.candidate('test-candidate')).toEqual(configuration.candidates.get('test-candidate'));
  expect(await staged.candidate('nobody-listed')).toBeUndefined();
  expect(tablesRead().slice(2)).toEqual(['Test Candidate']);

  // The rest is read for the whole configuration, the table read above not again; a missing
  // table is the same configuration error as in a whole read.
  const complete = await staged.complete();
  expect(complete.candidates).toEqual(configuration.candidates);
  expect(complete.errors).toEqual(configuration.errors);
  const reads = tablesRead();
  expect(new Set(reads).size).toBe(reads.length);
  expect(reads).toHaveLength(2 + configuration.candidates.size);
});
