import { easternTime, makeCall } from './support/calls';
import { useConfigWorld } from './support/config-world';

// Validate's view of VAN's phone guidance, through the started service: the listing's Contact
// Type and Input Type resolved by name against the key's own lists (the contract fixture numbers
// Auto Dial 52 for the MyVoters key, 73 for the MyCampaign one), and the share of a candidate's
// recent calls that carry VAN's phone id.

// Counted afresh on each validate: the phone-id test adds calls after others have validated.
const world = useConfigWorld({ PHONE_ID_SHARE_CACHE_MS: '0' });
beforeAll(async () => {
  // The service's first Airtable read may still be under way, and a refresh would join it: wait
  // for it (any page that needs the configuration does) before changing the base.
  expect((await world.api('/candidates')).status).toBe(200);
  const listing = world.base.tables.Listing!;
  const fieldsOf = (name: string) => listing.find((row) => row.fields['Reference Name'] === name)!.fields;
  fieldsOf('Good Candidate')['Contact Type'] = 'Robocall';
  fieldsOf('Broken Candidate')['Contact Type'] = '  phone BANK ';
  fieldsOf('Broken Candidate')['Input Type'] = 'Fax';
  fieldsOf('Myc Candidate')['Contact Type'] = 'Auto Dial';
  const refreshed = await world.api('/config/refresh', { method: 'POST' });
  expect(refreshed.status).toBe(200);
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (response: Response): Promise<any> => response.json();

test('an unknown Contact Type fails validate with the names this key has', async () => {
  const response = await world.api('/validate/good-candidate');
  expect(response.status).toBe(200);
  const body = await json(response);
  expect(body.ok).toBe(false);
  expect(body.header).toBe('THIS SYNC HAS ERRORS');
  expect(body.canvassTypes).toEqual([
    {
      ok: false,
      message:
        'Contact Type "Robocall" does not exist in VAN for this key (it has: Phone, Walk, Auto Dial, Phone Bank)',
    },
    { ok: true, message: 'Input Type API (11), the default' },
  ]);
  // The rows themselves are fine: the contact type alone makes the verdict.
  expect(body.rows.every((row: { ok: boolean }) => row.ok)).toBe(true);

  const page = await (
    await world.api('/validate/good-candidate', { headers: { accept: 'text/html' } })
  ).text();
  expect(page).toContain('Contact Type &quot;Robocall&quot; does not exist in VAN for this key');
  expect(page).toContain('the Contact Type or Input Type is unknown to VAN');
});

test('names resolve case and spaces aside, to the id of the key in question', async () => {
  const broken = await json(await world.api('/validate/broken-candidate'));
  expect(broken.canvassTypes).toEqual([
    { ok: true, message: 'Contact Type "phone BANK" is contact type 61 in VAN' },
    {
      ok: false,
      message: 'Input Type "Fax" does not exist in VAN for this key (it has: Grid, Bulk, API, VPB)',
    },
  ]);
  const myc = await json(await world.api('/validate/myc-candidate'));
  expect(myc.canvassTypes[0]).toEqual({
    ok: true,
    message: 'Contact Type "Auto Dial" is contact type 73 in VAN',
  });
  expect(myc.ok).toBe(true);
});

test('at run time the same message fails the VAN-bound calls, and no VAN request is spent on them', async () => {
  const { db } = world;
  const day = '2026-09-21';
  await db
    .collection('calls')
    .insertMany([
      makeCall({ timestamp: easternTime(day, 18, 1), full_on_screen_result: 'strong support' }),
      makeCall({ timestamp: easternTime(day, 18, 2), full_on_screen_result: 'not home' }),
      makeCall({ timestamp: easternTime(day, 18, 3), full_on_screen_result: 'dropped', dropped: true }),
    ]);
  world.van.reset();
  const response = await world.api('/runs/good-candidate', {
    method: 'POST',
    body: JSON.stringify({ window: day, dryRun: true }),
    headers: { 'content-type': 'application/json' },
  });
  expect(response.status).toBe(201);
  const run = await json(response);
  expect(run.state).toBe('completed');
  expect(run.dryRunResult).toMatchObject({
    byRoute: { van: 0 },
    byStatus: { unattempted_error: 2, ignored: 1 },
    errors: [
      {
        error:
          'Contact Type "Robocall" does not exist in VAN for this key (it has: Phone, Walk, Auto Dial, Phone Bank)',
        count: 2,
      },
    ],
  });
  expect(world.van.journal()).toEqual([]);
});

test('validate shows the share of the last 7 days of calls that carry a phone id, and why it matters', async () => {
  const { db } = world;
  const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000);
  await db.collection('calls').insertMany([
    // Broken Candidate's district: 3 of 4 recent calls carry one.
    ...[2, 30, 100].map((h, i) =>
      makeCall({ timestamp: hoursAgo(h), district: 'nc09', phone_id: 7_000_001 + i }),
    ),
    makeCall({ timestamp: hoursAgo(50), district: 'nc09' }),
    // Older than a week, and another district: not counted.
    makeCall({ timestamp: hoursAgo(8 * 24 + 1), district: 'nc09' }),
    makeCall({ timestamp: hoursAgo(3), district: 'va02', phone_id: 7_000_009 }),
  ]);
  const body = await json(await world.api('/validate/broken-candidate'));
  expect(body.phoneIds).toEqual({
    days: 7,
    calls: 4,
    withPhoneId: 3,
    share: 0.75,
    ok: false,
    message: "3 of 4 calls of the last 7 days (75%) carry VAN's phone id.",
    why: expect.stringContaining('can disqualify the person in VAN instead of just that one phone'),
  });
  const page = await (
    await world.api('/validate/broken-candidate', { headers: { accept: 'text/html' } })
  ).text();
  expect(page).toContain('3 of 4 calls of the last 7 days (75%) carry VAN&#39;s phone id.');
  expect(page).toContain('can disqualify the person in VAN instead of just that one phone');

  // Nothing of a CSV-only candidate goes to VAN: no phone id line.
  expect((await json(await world.api('/validate/csv-candidate'))).phoneIds).toBeNull();
});
