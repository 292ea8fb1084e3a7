import { DEMO_FIXTURE_PATH, loadFixture } from '../src/fixture';
import { generateSeed } from '../src/seed';
import { startVanSandbox } from '../src/van-sandbox';

test('the same seed makes the same world, another seed another one', () => {
  const options = { candidates: 4, callsPerCandidate: 30, seed: 7, day: '2026-11-02' };
  expect(generateSeed(options)).toEqual(generateSeed(options));
  expect(generateSeed({ ...options, seed: 8 }).livevox.calls).not.toEqual(
    generateSeed(options).livevox.calls,
  );
});

test('six candidates cover every strategy and every system, each with its result table', () => {
  const world = generateSeed({ candidates: 6, callsPerCandidate: 5, seed: 1 });
  const candidates = world.meta.candidates;
  expect(new Set(candidates.map((c) => c.strategy))).toEqual(new Set(['full', 'hybrid', 'all csv']));
  expect(new Set(candidates.map((c) => c.system))).toEqual(new Set(['van', 'myc', 'csv']));
  const tables = world.airtable.bases[0]!.tables;
  for (const candidate of candidates) expect(tables[candidate.referenceName]).toBeDefined();
  expect(tables['Term Codes']!.length).toBeGreaterThan(10);
  // One VAN key per candidate that syncs to VAN, in the mode of its system.
  expect(world.van.keys.map((k) => k.mode)).toEqual([0, 0, 1, 1, 0]);
});

test('result rows mix contacts with QR pairs and tags, non-contacts with result codes, and a dropped row', () => {
  const world = generateSeed({ candidates: 1, callsPerCandidate: 1, seed: 3 });
  const rows = world.airtable.bases[0]!.tables['Maria Lopez']!.map((r) => r.fields);
  const strong = rows.find((f) => f['Full On Screen Result'] === 'Strong Support')!;
  const notHome = rows.find((f) => f['Full On Screen Result'] === 'Not Home')!;
  const dropped = rows.find((f) => f['Full On Screen Result'] === 'Dropped')!;
  const question = world.van.keys[0]!.surveyQuestions[0]!;
  expect(strong['QR 1']).toBe(`${question.surveyQuestionId},${question.responses[0]!.surveyResponseId}`);
  expect(rows.some((f) => typeof f.Tags === 'string' && f.Tags !== '')).toBe(true);
  expect(notHome).toMatchObject({ Success: false, 'Canvass Result Code': '1' });
  expect(dropped).toMatchObject({ 'Sync to System': false, 'Include in CSV': false });
});

test('a hybrid candidate sends conversations to VAN and the rest to the CSV', () => {
  const world = generateSeed({ candidates: 2, callsPerCandidate: 1, seed: 3 });
  const rows = world.airtable.bases[0]!.tables['James Carter']!.map((r) => r.fields);
  expect(rows.find((f) => f['Full On Screen Result'] === 'Not Home')).toMatchObject({
    'Sync to System': false,
    'Include in CSV': true,
  });
  expect(rows.find((f) => f['Full On Screen Result'] === 'Strong Support')).toMatchObject({
    'Sync to System': true,
  });
});

test('calls carry district-system-vanid accounts and Eastern evening times', () => {
  const world = generateSeed({ candidates: 3, callsPerCandidate: 200, seed: 5, day: '2026-10-20' });
  const rows = world.livevox.calls.map((c) => c.row);
  const accounts = rows.filter((r) => !r.account_number.startsWith('TEST'));
  expect(accounts.every((r) => /^(nc05|pa07|az02)-(van|myc)-\d+$/.test(r.account_number))).toBe(true);
  expect(rows.every((r) => /^20-10-2026 (17|18|19|20|21):\d\d:\d\d$/.test(r.start))).toBe(true);
  expect(new Set(rows.map((r) => r.result)).size).toBeGreaterThan(8);
  for (const call of world.livevox.calls) {
    const hour = Number(
      new Intl.DateTimeFormat('en-US', {
        timeZone: 'America/New_York',
        hour: 'numeric',
        hourCycle: 'h23',
      }).format(call.startMs),
    );
    expect(hour).toBeGreaterThanOrEqual(17);
    expect(hour).toBeLessThan(21);
  }
});

test('the committed demo fixture has the three demo candidates and starts a VAN sandbox', async () => {
  const demo = loadFixture(DEMO_FIXTURE_PATH) as ReturnType<typeof generateSeed>;
  expect(demo.meta.candidates.map((c) => `${c.strategy}/${c.system}`)).toEqual([
    'full/van',
    'hybrid/van',
    'all csv/csv',
  ]);
  const van = await startVanSandbox({ fixture: demo.van });
  try {
    const key = demo.van.keys[0]!;
    const auth = Buffer.from(`${key.applicationName}:${key.apiKey}|${key.mode}`).toString('base64');
    const response = await fetch(`${van.url}/v4/surveyQuestions?statuses=Active`, {
      headers: { authorization: `Basic ${auth}` },
    });
    expect(((await response.json()) as { count: number }).count).toBe(3);
  } finally {
    await van.close();
  }
});
