import { createAirtableClient, readConfigurationTables } from '@call-sync/integrations';
import {
  generateSeed,
  SEED_AIRTABLE_BASE_ID,
  SEED_AIRTABLE_TOKEN,
  startAirtableSandbox,
  type AirtableSandbox,
} from '@call-sync/sandbox';
import { createConfigCacheRepository, freshResultTables } from '@call-sync/store';
import { loadConfiguration } from '../src/load-configuration';
import { loadExtractorSettings } from '../src/settings';
import { createTestDatabase, type TestDatabase } from './support/extractor-world';

// The extractor reads the listing from Airtable every time, and a candidate's result table from
// the config service's copy in MongoDB while that copy is fresh: forty tables at Airtable's five
// requests a second per base would hold a night's last candidate back by eight seconds.

const fixture = generateSeed({ candidates: 3, callsPerCandidate: 1, seed: 5, day: '2026-10-20' });
let airtable: AirtableSandbox;
let database: TestDatabase;

beforeAll(async () => {
  airtable = await startAirtableSandbox({ fixture: fixture.airtable, knobs: { ratePerSecondPerBase: 0 } });
  database = await createTestDatabase('load-configuration');
});

afterAll(async () => {
  await airtable.close();
  await database.drop();
});

const settings = () =>
  loadExtractorSettings({
    AIRTABLE_API_KEY: SEED_AIRTABLE_TOKEN,
    AIRTABLE_BASE_ID: SEED_AIRTABLE_BASE_ID,
    AIRTABLE_ENDPOINT_URL: airtable.url,
    VAN_APPLICATION_NAME: 'unused',
  });

const slugs = fixture.meta.candidates.map((c) => c.slug);
/** What Airtable was asked for, by table, in order. */
const tablesAsked = () =>
  airtable.requestLog().map((entry) => decodeURIComponent(entry.path.split('/').pop()!));

async function saveCopy(change: (tables: Awaited<ReturnType<typeof readConfigurationTables>>) => void) {
  const tables = await readConfigurationTables(
    createAirtableClient({
      apiKey: SEED_AIRTABLE_TOKEN,
      baseId: SEED_AIRTABLE_BASE_ID,
      endpointUrl: airtable.url,
    }),
  );
  change(tables);
  await createConfigCacheRepository(database.db).save(tables);
  airtable.reset();
}

/** Each candidate's configuration rows, as a run sees them. */
async function rowsOf(staged: Awaited<ReturnType<typeof loadConfiguration>>) {
  const rows: Record<string, unknown> = {};
  for (const slug of slugs) rows[slug] = (await staged.candidate(slug))!.rows;
  return rows;
}

test('a fresh copy serves every result table it holds; the listing and term codes are read from Airtable', async () => {
  await saveCopy(() => undefined);
  const fromAirtable = await rowsOf(await loadConfiguration(settings()));
  expect(tablesAsked()).toEqual(expect.arrayContaining(['Listing', 'Term Codes']));
  expect(tablesAsked()).toHaveLength(2 + slugs.length);

  airtable.reset();
  const copy = freshResultTables(database.db, { maxAgeMs: 10 * 60_000 });
  const fromCopy = await rowsOf(await loadConfiguration(settings(), copy));
  expect((await copy)?.loadedAt).toBeInstanceOf(Date);
  expect(tablesAsked().sort()).toEqual(['Listing', 'Term Codes']);
  expect(fromCopy).toEqual(fromAirtable);
  expect(Object.values(fromCopy).every((rows) => (rows as unknown[]).length > 0)).toBe(true);
});

test('a table the copy lacks (a candidate listed since, or one config could not read) comes from Airtable', async () => {
  const [first, second] = fixture.meta.candidates;
  await saveCopy((tables) => {
    delete tables.resultTables[first!.referenceName];
    tables.unreadableTables.push({ table: second!.referenceName, error: 'timeout' });
  });
  const copy = freshResultTables(database.db, { maxAgeMs: 10 * 60_000 });
  await rowsOf(await loadConfiguration(settings(), copy));
  expect(tablesAsked().sort()).toEqual(
    ['Listing', 'Term Codes', first!.referenceName, second!.referenceName].sort(),
  );
});

test('a copy older than CONFIG_COPY_MAX_AGE_MS, or none at all, is not used', async () => {
  await saveCopy(() => undefined);
  const anHourLater = new Date(Date.now() + 3_600_000);
  expect(await freshResultTables(database.db, { maxAgeMs: 10 * 60_000, now: anHourLater })).toBeUndefined();
  expect(await freshResultTables(database.db, { maxAgeMs: 0 })).toBeUndefined();
  expect(settings().CONFIG_COPY_MAX_AGE_MS).toBe(600_000);

  await loadConfiguration(
    settings(),
    freshResultTables(database.db, { maxAgeMs: 10 * 60_000, now: anHourLater }),
  ).then(rowsOf);
  expect(tablesAsked()).toHaveLength(2 + slugs.length);
});

test('a copy that cannot be read is no copy: the tables come from Airtable', async () => {
  airtable.reset();
  const unreadable = Promise.reject(new Error('MongoDB is down'));
  await rowsOf(await loadConfiguration(settings(), unreadable));
  expect(tablesAsked()).toHaveLength(2 + slugs.length);
});
