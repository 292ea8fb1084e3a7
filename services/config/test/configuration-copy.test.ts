import { createHash } from 'node:crypto';
import { Collections } from '@call-sync/platform';
import { AIRTABLE_TOKEN, useConfigWorld, VAN_KEY_MYCAMPAIGN, VAN_KEY_MYVOTERS } from './support/config-world';

// The configuration's copy in Mongo lets a restart during an Airtable outage serve the last good
// configuration. It never holds a VAN key: only whether a row had one and the key's fingerprint.
// The keys live in the process, from Airtable.

const world = useConfigWorld();

const json = async (response: Response) => (await response.json()) as Record<string, unknown> & any; // eslint-disable-line @typescript-eslint/no-explicit-any
const VAN_KEYS = [VAN_KEY_MYVOTERS, VAN_KEY_MYCAMPAIGN];
// Written out here rather than taken from the code under test: sha256("call-sync:" + key), 12 hex.
const fingerprint = (key: string) =>
  createHash('sha256').update(`call-sync:${key}`).digest('hex').slice(0, 12);

async function storedCopy(): Promise<{ apiKeys?: unknown[] } | null> {
  return world.db
    .collection<{ _id: string; apiKeys?: unknown[] }>(Collections.ConfigCache)
    .findOne({ _id: 'airtable' });
}

/** Every document of every collection of the service's database, as text. */
async function wholeDatabaseText(): Promise<string> {
  const collections = await world.db.listCollections().toArray();
  const texts = await Promise.all(
    collections.map(async ({ name }) => JSON.stringify(await world.db.collection(name).find().toArray())),
  );
  return texts.join('\n');
}

test('after a refresh the Mongo copy holds no VAN key, only hasApiKey and the fingerprint', async () => {
  expect((await world.api('/config/refresh', { method: 'POST' })).status).toBe(200);
  const copy = await storedCopy();
  const text = JSON.stringify(copy);
  for (const key of VAN_KEYS) expect(text).not.toContain(key);
  expect(text).not.toContain(AIRTABLE_TOKEN);
  expect(copy?.apiKeys).toEqual(
    expect.arrayContaining([
      { rowId: 'recList0001', hasApiKey: true, fingerprint: fingerprint(VAN_KEY_MYVOTERS) },
      { rowId: 'recList0003', hasApiKey: false, fingerprint: null },
      { rowId: 'recList0004', hasApiKey: true, fingerprint: fingerprint(VAN_KEY_MYCAMPAIGN) },
    ]),
  );
  // The rest of the listing is kept: a restart from the copy still knows the candidates.
  expect(text).toContain('Good Candidate');
});

test('no collection holds a VAN key after pages, validation and a dry run', async () => {
  expect((await world.api('/configure/good-candidate')).status).toBe(200);
  expect((await world.api('/validate/myc-candidate')).status).toBe(200);
  expect((await world.api('/runs/good-candidate?dryRun=true', { method: 'POST' })).status).toBe(201);
  const text = await wholeDatabaseText();
  // The scan reaches the copy and the dry run's document.
  expect(text).toContain('recList0001');
  expect(text).toContain('dryRunResult');
  for (const key of VAN_KEYS) expect(text).not.toContain(key);
});

test('a copy written before keys were kept out is rewritten without them when it is read', async () => {
  const tableOf = (name: string) => world.base.tables[name] ?? [];
  const legacy = {
    loadedAt: new Date().toISOString(),
    listing: tableOf('Listing'),
    termCodes: tableOf('Term Codes'),
    resultTables: Object.fromEntries(
      ['Good Candidate', 'Csv Candidate', 'Myc Candidate'].map((name) => [name, tableOf(name)]),
    ),
    unreadableTables: [],
  };
  await world.db
    .collection(Collections.ConfigCache)
    .replaceOne(
      { _id: 'airtable' as never },
      { tablesJson: JSON.stringify(legacy), loadedAt: new Date(), savedAt: new Date() },
      { upsert: true },
    );
  expect(JSON.stringify(await storedCopy())).toContain(VAN_KEY_MYVOTERS);

  await world.restartService({ AIRTABLE_API_KEY: 'patWrongTokenForOutage' });
  try {
    const body = await json(await world.api('/candidates'));
    expect(body.source).toBe('mongo');
    const text = JSON.stringify(await storedCopy());
    for (const key of VAN_KEYS) expect(text).not.toContain(key);
    expect((await storedCopy())?.apiKeys).toEqual(
      expect.arrayContaining([
        { rowId: 'recList0001', hasApiKey: true, fingerprint: fingerprint(VAN_KEY_MYVOTERS) },
      ]),
    );
  } finally {
    await world.restartService({ AIRTABLE_API_KEY: AIRTABLE_TOKEN });
  }
});

describe('a restart while Airtable refuses us', () => {
  beforeAll(async () => {
    expect((await world.api('/config/refresh', { method: 'POST' })).status).toBe(200);
    await world.restartService({ AIRTABLE_API_KEY: 'patWrongTokenForOutage' });
  }, 60_000);
  afterAll(() => world.restartService({ AIRTABLE_API_KEY: AIRTABLE_TOKEN }), 60_000);

  test('serves the last good configuration from Mongo, with the keys not loaded', async () => {
    const body = await json(await world.api('/candidates'));
    expect(body.source).toBe('mongo');
    expect(body.lastRefreshError).toMatch(/Airtable/);
    const good = body.candidates.find((c: { slug: string }) => c.slug === 'good-candidate');
    expect(good).toMatchObject({ hasApiKey: true, apiKeyLoaded: false, strategy: 'full', district: 'nc05' });
    const csv = body.candidates.find((c: { slug: string }) => c.slug === 'csv-candidate');
    expect(csv).toMatchObject({ hasApiKey: false, apiKeyLoaded: false });

    const refresh = await world.api('/config/refresh', { method: 'POST' });
    expect(refresh.status).toBe(503);
    const refreshBody = await json(refresh);
    expect(refreshBody.error).toBe('airtable_unavailable');
    expect(JSON.stringify(refreshBody)).not.toContain('patWrongTokenForOutage');
  });

  test('what needs a VAN key says the key is not loaded yet; what does not still works', async () => {
    for (const path of ['/validate/good-candidate', '/configure/myc-candidate']) {
      const response = await world.api(path);
      expect(response.status).toBe(503);
      const body = await json(response);
      expect(body.error).toBe('van_key_not_loaded');
      expect(body.detail).toMatch(
        /VAN API key of "(good|myc)-candidate" is not loaded yet: Airtable has not answered/,
      );
    }
    const dryRun = await world.api('/runs/good-candidate?dryRun=true', { method: 'POST' });
    expect(dryRun.status).toBe(503);
    expect((await json(dryRun)).error).toBe('van_key_not_loaded');

    const page = await world.api('/validate/good-candidate', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('is not loaded yet');

    const csv = await json(await world.api('/validate/csv-candidate'));
    expect(csv.ok).toBe(true);
    expect((await world.api('/runs/good-candidate', { method: 'POST' })).status).toBe(202);
  });

  test('the service logs no error for it and leaks no key', async () => {
    const output = world.service.output();
    for (const key of VAN_KEYS) expect(output).not.toContain(key);
    expect(output).not.toMatch(/"level":50/);
  });
});
