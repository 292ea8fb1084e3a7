import { API_TOKEN, useConfigWorld, VAN_KEY_MYCAMPAIGN, VAN_KEY_MYVOTERS } from './support/config-world';

const world = useConfigWorld();

const json = async (response: Response) => (await response.json()) as Record<string, unknown> & any; // eslint-disable-line @typescript-eslint/no-explicit-any

function expectNoSecrets(text: string): void {
  for (const secret of [VAN_KEY_MYVOTERS, VAN_KEY_MYCAMPAIGN, API_TOKEN, world.env.AIRTABLE_API_KEY!]) {
    expect(text).not.toContain(secret);
  }
}

describe('candidates', () => {
  test('lists every readable candidate with its strategy, system, district, sync hour, active flag and errors, never a key', async () => {
    const response = await world.api('/candidates');
    expect(response.status).toBe(200);
    const text = await response.text();
    expectNoSecrets(text);
    const body = JSON.parse(text);
    const bySlug = Object.fromEntries(body.candidates.map((c: { slug: string }) => [c.slug, c]));
    expect(Object.keys(bySlug).sort()).toEqual([
      'broken-candidate',
      'csv-candidate',
      'good-candidate',
      'myc-candidate',
      'wrong-mode-candidate',
    ]);
    expect(bySlug['good-candidate']).toMatchObject({
      strategy: 'full',
      system: 'van',
      district: 'nc05',
      syncHourEastern: 22,
      active: true,
      hasApiKey: true,
      configurationErrors: [],
    });
    expect(bySlug['myc-candidate']).toMatchObject({ active: false, system: 'myc' });
    expect(bySlug['broken-candidate'].configurationErrors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'QR 1', rowId: 'recBroken0005' })]),
    );
    // The listing row without a district is left out and reported.
    expect(body.configurationErrors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ table: 'Listing', rowId: 'recList0006', field: 'District Abbreviation' }),
      ]),
    );
    expect(body.source).toBe('airtable');
  });

  test('a refresh picks up a change made in Airtable', async () => {
    world.base.tables.Listing!.push({
      id: 'recList9999',
      fields: {
        'Reference Name': 'New Candidate',
        'District Abbreviation': 'oh01',
        System: 'csv',
        Strategy: 'all csv',
        'Sync Time (EST)': 23,
      },
    });
    world.base.tables['New Candidate'] = [
      { id: 'recNew0001', fields: { 'Full On Screen Result': 'Not Home', 'Include in CSV': true } },
    ];
    try {
      const refreshed = await world.api('/config/refresh', { method: 'POST' });
      expect(refreshed.status).toBe(200);
      const body = await json(refreshed);
      expect(body.candidates.map((c: { slug: string }) => c.slug)).toContain('new-candidate');
    } finally {
      world.base.tables.Listing!.pop();
      delete world.base.tables['New Candidate'];
      await world.api('/config/refresh', { method: 'POST' });
    }
  });
});

describe('configure', () => {
  test("lists the candidate's VAN result codes, activist codes and survey question pairs, with instructions", async () => {
    const response = await world.api('/configure/good-candidate');
    expect(response.status).toBe(200);
    const text = await response.text();
    expectNoSecrets(text);
    const body = JSON.parse(text);
    expect(body.van.resultCodes).toEqual(
      expect.arrayContaining([{ id: 1, name: 'Not Home', shortName: 'NH' }]),
    );
    expect(body.van.activistCodes.map((code: { id: number }) => code.id).sort()).toEqual([201, 202, 203]);
    const support = body.van.surveyQuestions.find((q: { id: number }) => q.id === 101);
    expect(support.responses.map((r: { label: string }) => r.label)).toEqual([
      '101,1011 -> Strong support',
      '101,1012 -> Lean support',
      '101,1013 -> Undecided',
    ]);
    // Archived questions are not offered.
    expect(body.van.surveyQuestions.map((q: { id: number }) => q.id)).not.toContain(105);
    expect(body.instructions.join(' ')).toMatch(/Canvass Result Code/);
    expect(body.instructions.join(' ')).toMatch(/QR 1/);
    expect(body.instructions.join(' ')).toMatch(/Tags/);
  });

  test('a second page load within the cache time costs VAN nothing', async () => {
    await world.api('/configure/good-candidate');
    const before = world.van.requestLog().length;
    const again = await world.api('/configure/good-candidate');
    expect(again.status).toBe(200);
    const page = await world.api('/configure/good-candidate', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(world.van.requestLog().length).toBe(before);
  });

  test('browsers get a page with copy buttons for the ids', async () => {
    const response = await world.api('/configure/good-candidate', {
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    });
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(response.headers.get('content-security-policy')).toMatch(/script-src 'nonce-/);
    const page = await response.text();
    expect(page).toContain('data-copy="101,1011"');
    expect(page).toContain('Strong support');
    expectNoSecrets(page);
  });

  test('a CSV-only candidate has no VAN ids to show', async () => {
    const body = await json(await world.api('/configure/csv-candidate'));
    expect(body.van).toBeNull();
    expect(body.note).toMatch(/System csv/);
  });

  test('a MyCampaign candidate is read with mode 1', async () => {
    const body = await json(await world.api('/configure/myc-candidate'));
    expect(body.van.activistCodes).toEqual([expect.objectContaining({ id: 301, name: 'Donor' })]);
  });

  test('an unknown candidate is a 404 that lists the valid ones; a malformed slug is a 400', async () => {
    const unknown = await world.api('/configure/nobody');
    expect(unknown.status).toBe(404);
    const body = await json(unknown);
    expect(body.error).toBe('unknown_candidate');
    expect(body.candidates).toContain('good-candidate');
    expect(body.detail).toContain('good-candidate');

    const malformed = await world.api('/configure/Not%20A%20Slug');
    expect(malformed.status).toBe(400);
    expect((await json(malformed)).error).toBe('bad_candidate');

    const page = await world.api('/validate/nobody', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('href="/validate/good-candidate"');
  });
});

describe('a listing row that cannot be read', () => {
  test("validate reports the row's own errors instead of an unknown candidate", async () => {
    const noDistrict = await world.api('/validate/no-district');
    expect(noDistrict.status).toBe(200);
    const body = await json(noDistrict);
    expect(body.ok).toBe(false);
    expect(body.header).toBe('THIS SYNC HAS ERRORS');
    expect(body.candidate.slug).toBe('no-district');
    expect(body.tableErrors).toEqual([
      {
        table: 'Listing',
        rowId: 'recList0006',
        field: 'District Abbreviation',
        message: 'is required',
        slug: 'no-district',
      },
      {
        table: 'Listing',
        rowId: 'recList0006',
        field: 'API Key',
        message: 'is required for System van',
        slug: 'no-district',
      },
    ]);
    expect(body.rows).toEqual([]);

    const typo = await json(await world.api('/validate/typo-strategy'));
    expect(typo.tableErrors).toEqual([
      expect.objectContaining({
        rowId: 'recList0007',
        field: 'Strategy',
        message: 'must be one of full, hybrid, all csv, bulk, got "hybird"',
      }),
    ]);
  });

  test('the validate page shows the verdict and the field to fix', async () => {
    const response = await world.api('/validate/typo-strategy', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toMatch(/class="banner bad">\s*THIS SYNC HAS ERRORS/);
    expect(page).toContain(
      'Listing row <code>recList0007</code> · Strategy: must be one of full, hybrid, all csv, bulk, got &quot;hybird&quot;',
    );
    expect(page).not.toContain('valid candidates');
  });

  test("configure answers 422 naming the row's problems, as JSON and as a page", async () => {
    const response = await world.api('/configure/no-district');
    expect(response.status).toBe(422);
    const body = await json(response);
    expect(body.error).toBe('candidate_row_invalid');
    expect(body.detail).toContain('District Abbreviation is required');
    expect(body.detail).toContain('API Key is required for System van');
    expect(body.configurationErrors.map((error: { field: string }) => error.field)).toEqual([
      'District Abbreviation',
      'API Key',
    ]);

    const page = await world.api('/configure/typo-strategy', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(422);
    const text = await page.text();
    expect(text).toContain('Listing row <code>recList0007</code> · Strategy: must be one of');
    expect(text).toContain('href="/validate/typo-strategy"');
  });

  test('a run for it is refused with the same reasons', async () => {
    const response = await world.api('/runs/typo-strategy', { method: 'POST' });
    expect(response.status).toBe(422);
    expect((await json(response)).detail).toContain('Strategy must be one of');
  });
});

describe('validate', () => {
  test('a good configuration is good to go', async () => {
    const response = await world.api('/validate/good-candidate');
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.ok).toBe(true);
    expect(body.header).toBe('This sync is good to go!');
    expect(body.apiKey.ok).toBe(true);
    expect(body.rows).toHaveLength(4);
    const strong = body.rows.find(
      (r: { fullOnScreenResult: string }) => r.fullOnScreenResult === 'strong support',
    );
    expect(strong.checks.map((c: { message: string }) => c.message)).toEqual(
      expect.arrayContaining([
        'Activist code 201 exists (Volunteer prospect)',
        'QR 1: survey question 101 (Support 2026) has response 1011 (Strong support)',
      ]),
    );
    const dropped = body.rows.find((r: { fullOnScreenResult: string }) => r.fullOnScreenResult === 'dropped');
    // Ignored rows send nothing, so they need no result code.
    expect(dropped.ok).toBe(true);
    expect(dropped.warnings).toEqual([expect.stringMatching(/ignored/)]);
  });

  test('a broken configuration has errors, row by row', async () => {
    const body = await json(await world.api('/validate/broken-candidate'));
    expect(body.ok).toBe(false);
    expect(body.header).toBe('THIS SYNC HAS ERRORS');
    const messages = (result: string) =>
      body.rows
        .find((r: { fullOnScreenResult: string }) => r.fullOnScreenResult === result)
        .checks.filter((c: { ok: boolean }) => !c.ok)
        .map((c: { message: string }) => c.message);
    expect(messages('strong support')).toEqual([
      'QR 1: response 1099 is not a response of survey question 101 (Support 2026)',
    ]);
    expect(messages('not home')).toEqual(['Result code 77 does not exist in VAN']);
    expect(messages('busy')).toEqual(['Canvass Result Code is required when Success is false']);
    expect(messages('volunteer')).toEqual(['Activist code 999 does not exist in VAN']);
    expect(messages('bad qr')[0]).toMatch(/QR 1 must be questionId,responseId/);
    expect(body.rows.find((r: { fullOnScreenResult: string }) => r.fullOnScreenResult === 'leaning').ok).toBe(
      true,
    );
  });

  test('the validate page shows the verdict banner and escapes what organisers typed', async () => {
    const response = await world.api('/validate/broken-candidate', { headers: { accept: 'text/html' } });
    const page = await response.text();
    expect(page).toMatch(/class="banner bad">\s*THIS SYNC HAS ERRORS/);
    expect(page).toContain('Volunteer &lt;b&gt;yes&lt;/b&gt;');
    expect(page).not.toContain('<b>yes</b>');
    const good = await (
      await world.api('/validate/good-candidate', { headers: { accept: 'text/html' } })
    ).text();
    expect(good).toMatch(/class="banner ok">\s*This sync is good to go!/);
  });

  test('a key VAN refuses in its mode is reported before the rows', async () => {
    const body = await json(await world.api('/validate/wrong-mode-candidate'));
    expect(body.ok).toBe(false);
    expect(body.apiKey.ok).toBe(false);
    expect(body.apiKey.message).toMatch(/refused the API key/);
    expectNoSecrets(JSON.stringify(body));
  });

  test('a CSV-only candidate is checked without VAN', async () => {
    const body = await json(await world.api('/validate/csv-candidate'));
    expect(body.ok).toBe(true);
    expect(body.apiKey.message).toMatch(/System csv/);
  });
});

describe('auth', () => {
  test('every endpoint but health, readiness and metrics needs a valid bearer token', async () => {
    for (const path of [
      '/candidates',
      '/configure/good-candidate',
      '/validate/good-candidate',
      '/runs',
      '/openapi.json',
    ]) {
      const missing = await world.api(path, { token: null });
      expect(missing.status).toBe(401);
      expect(await json(missing)).toEqual({ error: 'unauthorized', detail: expect.any(String) });
      const wrong = await world.api(path, { token: 'not-the-token-at-all-000' });
      expect(wrong.status).toBe(401);
    }
    const refresh = await world.api('/config/refresh', { method: 'POST', token: null });
    expect(refresh.status).toBe(401);
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      expect((await world.api(path, { token: null })).status).toBe(200);
    }
    expect((await world.api('/candidates', { token: 'second-token-0123456789' })).status).toBe(200);
    const openapi = await world.api('/openapi.json');
    expect(openapi.status).toBe(200);
    expect((await json(openapi)).paths['/validate/{candidate}']).toBeDefined();
  });
});
