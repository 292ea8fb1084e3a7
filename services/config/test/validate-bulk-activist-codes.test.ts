import { useConfigWorld, VAN_KEY_MYVOTERS } from './support/config-world';

// Validate of a `bulk` candidate that applies activist codes, through the started service: its
// Tag Ids (and its rows' Tags) travel through VAN Bulk Import's ActivistCode mapping, so a key
// without that mapping is named before a run. The sandbox switches ActivistCode off for the
// MyVoters key only; the MyCampaign candidate, whose row has a tag, is the control.

const world = useConfigWorld();
beforeAll(async () => {
  expect((await world.api('/candidates')).status).toBe(200);
  const tables = world.base.tables;
  const listing = (name: string) => tables.Listing!.find((row) => row.fields['Reference Name'] === name)!;
  // Good Candidate's activist code comes from its Tag Ids alone: no row carries a tag.
  listing('Good Candidate').fields.Strategy = 'bulk';
  listing('Good Candidate').fields['Tag Ids'] = '201';
  for (const row of tables['Good Candidate']!) delete row.fields.Tags;
  listing('Myc Candidate').fields.Strategy = 'bulk';
  expect((await world.api('/config/refresh', { method: 'POST' })).status).toBe(200);
  world.van.bulkImport.setKnobs({ disabledMappings: [{ key: VAN_KEY_MYVOTERS, mapping: 'ActivistCode' }] });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (response: Response): Promise<any> => response.json();

test('Tag Ids on a bulk candidate whose key lacks ActivistCode fail validate, naming the mapping', async () => {
  const body = await json(await world.api('/validate/good-candidate'));
  expect(body.candidate.strategy).toBe('bulk');
  expect(body.ok).toBe(false);
  expect(body.bulkImport).toEqual([
    {
      ok: false,
      message:
        'VAN Bulk Import mapping not enabled for this key: ActivistCode — ask VAN to enable it, ' +
        'or list the candidate in VAN_BULK_FALLBACK_CANDIDATES',
    },
  ]);
});

test('a tagged bulk candidate whose key has ActivistCode passes', async () => {
  const body = await json(await world.api('/validate/myc-candidate'));
  expect(body.bulkImport).toEqual([
    { ok: true, message: 'VAN Bulk Import: every mapping the results need is enabled for this key' },
    { ok: true, message: 'VAN Bulk Import: every required field is filled' },
  ]);
  expect(body.ok).toBe(true);
});
