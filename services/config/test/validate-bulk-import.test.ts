import { useConfigWorld, VAN_KEY_MYVOTERS } from './support/config-world';

// Validate of a `bulk` candidate, through the started service: the Bulk Import mappings its rows
// need are read from VAN (GET /v4/bulkImportMappingTypes) and one VAN has not enabled for the key
// is named, as is a required field the run could not fill. Both candidates are made `bulk`; the
// sandbox switches CanvassResults off for the MyVoters key only, so the MyCampaign candidate is
// the control.

// No reuse of VAN's answers: a test changes what the sandbox requires between two validates.
const world = useConfigWorld({ VAN_METADATA_CACHE_MS: '0' });
beforeAll(async () => {
  expect((await world.api('/candidates')).status).toBe(200);
  const listing = world.base.tables.Listing!;
  const fieldsOf = (name: string) => listing.find((row) => row.fields['Reference Name'] === name)!.fields;
  fieldsOf('Good Candidate').Strategy = 'bulk';
  fieldsOf('Myc Candidate').Strategy = 'bulk';
  expect((await world.api('/config/refresh', { method: 'POST' })).status).toBe(200);
  world.van.bulkImport.setKnobs({
    disabledMappings: [{ key: VAN_KEY_MYVOTERS, mapping: 'CanvassResults' }],
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (response: Response): Promise<any> => response.json();

test('a bulk candidate whose key lacks a mapping fails validate, naming the mapping', async () => {
  const before = world.van.requestLog().length;
  const body = await json(await world.api('/validate/good-candidate'));
  expect(body.candidate.strategy).toBe('bulk');
  expect(body.ok).toBe(false);
  expect(body.header).toBe('THIS SYNC HAS ERRORS');
  expect(body.bulkImport).toEqual([
    {
      ok: false,
      message:
        'VAN Bulk Import mapping not enabled for this key: CanvassResults — ask VAN to enable it, ' +
        'or list the candidate in VAN_BULK_FALLBACK_CANDIDATES',
    },
  ]);
  expect(
    world.van
      .requestLog()
      .slice(before)
      .filter((r) => r.path === '/v4/bulkImportMappingTypes'),
  ).toHaveLength(1);
  const page = await (
    await world.api('/validate/good-candidate', { headers: { accept: 'text/html' } })
  ).text();
  expect(page).toContain('VAN Bulk Import mapping not enabled for this key: CanvassResults');
});

test('a bulk candidate whose key has every mapping passes', async () => {
  const body = await json(await world.api('/validate/myc-candidate'));
  expect(body.bulkImport).toEqual([
    { ok: true, message: 'VAN Bulk Import: every mapping the results need is enabled for this key' },
    { ok: true, message: 'VAN Bulk Import: every required field is filled' },
  ]);
  expect(body.ok).toBe(true);
});

test('a required field is filled as the run fills it, or named when the run cannot fill it', async () => {
  const mappings = {
    ok: true,
    message: 'VAN Bulk Import: every mapping the results need is enabled for this key',
  };
  try {
    world.van.bulkImport.setKnobs({ requiredFields: [{ mapping: 'ActivistCode', field: 'CanvassedBy' }] });
    const canvassed = await json(await world.api('/validate/myc-candidate'));
    expect(canvassed.bulkImport).toEqual([
      mappings,
      {
        ok: true,
        message:
          "VAN Bulk Import: every required field is filled; rows are canvassed by VAN user 51002, the key's own",
      },
    ]);
    expect(canvassed.ok).toBe(true);

    world.van.bulkImport.setKnobs({ requiredFields: [{ mapping: 'ActivistCode', field: 'PhoneTypeID' }] });
    const unfilled = await json(await world.api('/validate/myc-candidate'));
    expect(unfilled.bulkImport).toEqual([
      mappings,
      {
        ok: false,
        message: 'VAN Bulk Import fields required that the run cannot fill: PhoneTypeID (ActivistCode)',
      },
    ]);
    expect(unfilled.ok).toBe(false);
    const page = await (
      await world.api('/validate/myc-candidate', { headers: { accept: 'text/html' } })
    ).text();
    expect(page).toContain(
      'VAN Bulk Import fields required that the run cannot fill: PhoneTypeID (ActivistCode)',
    );
  } finally {
    world.van.bulkImport.setKnobs({ requiredFields: [] });
  }
});

test('a per-call candidate is not asked about Bulk Import', async () => {
  const before = world.van.requestLog().length;
  const body = await json(await world.api('/validate/broken-candidate'));
  expect(body.bulkImport).toEqual([]);
  expect(
    world.van
      .requestLog()
      .slice(before)
      .map((r) => r.path),
  ).not.toContain('/v4/bulkImportMappingTypes');
});
