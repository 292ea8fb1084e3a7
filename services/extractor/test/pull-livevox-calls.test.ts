import { createLivevoxClient, parseConfiguration } from '@call-sync/integrations';
import {
  CONTRACT_FIXTURE_PATH,
  loadFixture,
  startLivevoxSandbox,
  type LivevoxSandbox,
} from '@call-sync/sandbox';
import { callsCollection } from '@call-sync/store';
import { pullLivevoxCalls } from '../src/pull-livevox-calls';
import { createTestDatabase, logger, type TestDatabase } from './support/extractor-world';

// The pull of a run's calls from Livevox, against the Livevox sandbox and the real MongoDB-wire
// server: the contract fixture's list load carries VAN's phone id in a field of its own
// (`van_phone_id`, on lv-2 and lv-4), which LIVEVOX_PHONE_ID_FIELD names.

const fixture = loadFixture(CONTRACT_FIXTURE_PATH).livevox;
const user = fixture.users[0]!;
const october25 = { start: new Date('2026-10-25T04:00:00Z'), end: new Date('2026-10-26T04:00:00Z') };
const configuration = parseConfiguration({
  loadedAt: new Date(),
  listing: [
    {
      id: 'recList1',
      fields: {
        'Reference Name': 'Test Candidate',
        'Service Names': 'TC Persuasion, TC GOTV',
        'District Abbreviation': 'nc05',
        System: 'csv',
        Strategy: 'all csv',
        'Sync Time (EST)': 21,
      },
    },
  ],
  termCodes: [],
  resultTables: { 'Test Candidate': [] },
  unreadableTables: [],
});
const config = configuration.candidates.get('test-candidate')!;

let livevox: LivevoxSandbox;
let database: TestDatabase;
beforeAll(async () => {
  livevox = await startLivevoxSandbox({ fixture });
  database = await createTestDatabase('pull-livevox');
});
afterAll(async () => {
  await livevox?.close();
  await database?.drop();
});
beforeEach(() => callsCollection(database.db).deleteMany({}));

const pull = (phoneIdField?: string) =>
  pullLivevoxCalls(
    database.db,
    logger,
    createLivevoxClient({ baseUrl: livevox.url, ...user, ...(phoneIdField ? { phoneIdField } : {}) }),
    configuration,
    config,
    october25,
  );
const phoneIds = async () =>
  Object.fromEntries(
    (
      await callsCollection(database.db)
        .find({}, { sort: { id: 1 } })
        .toArray()
    ).map((c) => [c.id, c.phone_id ?? null]),
  );

test('with the field named, each pulled call stores the phone id it carries, as a number', async () => {
  const summary = await pull('van_phone_id');
  expect(summary).toMatchObject({ rows: 4, upserted: 4, withPhoneId: 2, errors: 0 });
  expect(await phoneIds()).toEqual({ 'lv-1': null, 'lv-2': 5100002, 'lv-3': null, 'lv-4': 5100004 });
});

test('a field the call detail does not have stores no phone id, and the summary says so', async () => {
  const summary = await pull('phone_id');
  expect(summary).toMatchObject({ rows: 4, upserted: 4, withPhoneId: 0 });
  expect(Object.values(await phoneIds())).toEqual([null, null, null, null]);
});
