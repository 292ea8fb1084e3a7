import { CONTRACT_FIXTURE_PATH, loadFixture } from '../src/fixture';
import { startAirtableSandbox, type AirtableSandbox } from '../src/airtable-sandbox';

const fixture = loadFixture(CONTRACT_FIXTURE_PATH).airtable;
const BASE = 'appContractTest01';
const TOKEN = 'patContractTestToken';

let airtable: AirtableSandbox;
beforeAll(async () => {
  airtable = await startAirtableSandbox({ fixture });
});
afterAll(() => airtable.close());
beforeEach(() => airtable.reset());

async function list(table: string, query = '', token = TOKEN) {
  const response = await fetch(`${airtable.url}/v0/${BASE}/${encodeURIComponent(table)}${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, json: await response.json() };
}

test('lists a table in pages joined by an offset', async () => {
  const first = await list('Test Candidate', '?pageSize=2');
  expect(first.json.records).toHaveLength(2);
  expect(first.json.offset).toEqual(expect.any(String));
  const second = await list('Test Candidate', `?pageSize=2&offset=${encodeURIComponent(first.json.offset)}`);
  expect(second.json.records.map((r: { id: string }) => r.id)).toEqual(['recResult0000003']);
  expect(second.json).not.toHaveProperty('offset');
});

test('unchecked checkboxes and empty cells are left out, as Airtable does', async () => {
  const { json } = await list('Test Candidate');
  const notHome = json.records.find((r: { id: string }) => r.id === 'recResult0000002');
  expect(notHome.fields).not.toHaveProperty('Success');
  expect(notHome.fields).not.toHaveProperty('Include in CSV');
  expect(notHome.fields['Canvass Result Code']).toBe('1');
});

test('a wrong token is refused', async () => {
  expect((await list('Listing', '', 'patWrong')).status).toBe(401);
});

test('an unknown table, a page size above 100 and a forged offset are refused', async () => {
  expect((await list('Nobody')).status).toBe(404);
  expect((await list('Listing', '?pageSize=101')).status).toBe(422);
  expect((await list('Listing', '?offset=itrMA/recForged')).status).toBe(422);
});

test('more than 5 requests a second on one base are answered 429', async () => {
  const statuses = [];
  for (let i = 0; i < 7; i += 1) statuses.push((await list('Listing')).status);
  expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
});

test('the limit can be turned off', async () => {
  airtable.setKnobs({ ratePerSecondPerBase: 0 });
  const statuses = [];
  for (let i = 0; i < 8; i += 1) statuses.push((await list('Listing')).status);
  expect(statuses.every((s) => s === 200)).toBe(true);
});
