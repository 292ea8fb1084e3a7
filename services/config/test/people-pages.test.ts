import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db } from 'mongodb';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { addDays, emptyRunCounts, fingerprintApiKey } from '@call-sync/core';
import { chromiumMissing, launchChromium, screenshotFolder } from './support/browser';
import { easternTime, EXPORT_HEADER, makeCall } from './support/calls';
import { easternTodayAwayFromMidnight } from './support/eastern-today';
import { API_TOKEN, LIMITED_TOKEN, useConfigWorld, VAN_KEY_MYVOTERS } from './support/config-world';

// The people's side of the service in a real browser (Debian's chromium driven by playwright-core)
// against the started config service: a call's journey found by each key, and an organiser who
// may not see another candidate's call. Screenshots as in pages.test.ts.

const screenshots = screenshotFolder();

if (chromiumMissing) {
  test('chromium is installed for the page tests', () => {
    throw new Error(chromiumMissing);
  });
} else {
  describe("the people's pages in a browser", () => {
    let browser: Browser;
    let operator: BrowserContext;
    let limited: BrowserContext;
    const cspViolations: string[] = [];

    // Before the world's: jest runs afterAll hooks in the order they are declared, and the browser
    // lets go of its connections to the service before the service stops.
    afterAll(async () => {
      await browser?.close();
      screenshots.cleanUp();
    });
    const world = useConfigWorld();

    const signedIn = async (
      token: string,
      options: { javaScript?: boolean } = {},
    ): Promise<BrowserContext> => {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        deviceScaleFactor: 1,
        javaScriptEnabled: options.javaScript ?? true,
      });
      context.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
      });
      const page = await context.newPage();
      await page.goto(`${world.service.url}/login?next=/calls/search`);
      await page.fill('input[name=token]', token);
      await page.click('button[type=submit]');
      await page.waitForURL('**/calls/search');
      await page.close();
      return context;
    };

    beforeAll(async () => {
      await arrangeJourneys(world.db);
      TODAY = await easternTodayAwayFromMidnight();
      await arrangeNights(world.db);
      browser = await launchChromium();
      operator = await signedIn(API_TOKEN);
      limited = await signedIn(LIMITED_TOKEN);
    }, 220_000);

    const text = async (page: Page, selector: string) => normalised(await page.textContent(selector));

    /** The search form, as a person fills it in. */
    const searchFor = async (page: Page, by: string, value: string) => {
      await page.goto(`${world.service.url}/calls/search`);
      await page.selectOption('select[name=by]', by);
      await page.fill('input[name=value]', value);
      await Promise.all([page.waitForURL('**/calls/search'), page.click('form.search button[type=submit]')]);
    };

    describe("a call's journey", () => {
      test('by voter id: both calls to the voter, newest first, each with its whole journey', async () => {
        const page = await operator.newPage();
        await searchFor(page, 'voter', VOTER);
        expect(await text(page, 'p.found')).toBe(`2 calls for Voter id ${VOTER}`);
        expect(
          await page.locator('section.journey').evaluateAll((s) => s.map((e) => e.getAttribute('data-call'))),
        ).toEqual([CONFIRMED_CALL, VAN_CALL]);

        const posted = page.locator(`section.journey[data-call="${VAN_CALL}"]`);
        expect(normalised(await posted.locator('td.called').textContent())).toBe('10-20-2026 06:05 PM');
        expect(normalised(await posted.locator('td.result').textContent())).toBe(
          'Agent Cust 1 (167) → strong support (Strong support)',
        );
        expect(normalised(await posted.locator('td.decision').textContent())).toBe(
          'VAN post — a VAN post, which VAN accepted',
        );
        expect(await posted.locator('td.run a').getAttribute('href')).toBe(`/runs/${RUN}`);
        expect(normalised(await posted.locator('td.run').textContent())).toBe(
          `${RUN} schedule · full · completed`,
        );
        expect(normalised(await posted.locator('td.van-request').textContent())).toMatch(
          /^to VAN id 100301 101 → 1011 as sent/,
        );
        expect(normalised(await posted.locator('td.receipt').textContent())).toBe(
          'VAN accepted the canvass response for VAN id 100301 (HTTP 204), dated 2026-10-20T18:05:00-04:00, request req-van-1',
        );
        expect(normalised(await posted.locator('td.error').textContent())).toBe('none');
        expect(
          (await posted.locator('ol.history li').allTextContents()).map((entry) => normalised(entry)),
        ).toEqual([
          '10-20-2026 06:05 PM called — the dialer recorded Agent Cust 1 (167) (caller vol_ana)',
          '10-20-2026 06:07 PM call ended — the dialer hung up',
          `10-20-2026 10:00 PM run started — run ${RUN} took the window; it claims each call as it decides it`,
          '10-20-2026 10:02 PM post left for VAN — request req-van-1, attempt 1',
          '10-20-2026 10:02 PM VAN accepted — HTTP 204, request req-van-1',
          '10-20-2026 10:02 PM finished — nothing more will happen to it',
        ]);

        const confirmed = page.locator(`section.journey[data-call="${CONFIRMED_CALL}"]`);
        expect(normalised(await confirmed.locator('td.decision').textContent())).toBe(
          'VAN post — a VAN post whose outcome was unknown, found in VAN by a person',
        );
        expect(normalised(await confirmed.locator('td.receipt').textContent())).toBe(
          'found in VAN by ops on 10-21-2026 09:30 AM Eastern (request req-unknown-1)',
        );
        expect(
          (await confirmed.locator('ol.history li').allTextContents()).map((e) => normalised(e)),
        ).toEqual([
          '10-20-2026 07:40 PM called — the dialer recorded Agent Cust 1 (167) (caller vol_ana)',
          `10-20-2026 10:00 PM run started — run ${RUN} took the window; it claims each call as it decides it`,
          '10-20-2026 10:03 PM post left for VAN — request req-unknown-1, attempt 1',
          '10-21-2026 09:30 AM finished — nothing more will happen to it',
          '10-21-2026 09:30 AM found in VAN by a person — by ops',
        ]);
        await page.screenshot({ path: screenshots.file('call-journey.png'), fullPage: true });
        await page.close();
      });

      test('by phone number: posted, never in the address, and shown by its last four digits only', async () => {
        const page = await operator.newPage();
        await searchFor(page, 'phone', '+1 (919) 555-0177');
        expect(page.url()).toBe(`${world.service.url}/calls/search`);
        expect(await text(page, 'p.found')).toBe('1 call for Phone number •••0177');
        const found = page.locator(`section.journey[data-call="${IGNORED_CALL}"]`);
        expect(normalised(await found.locator('td.decision').textContent())).toBe(
          "nothing sent — ignored: the candidate's result table sends this result neither to VAN nor to a CSV, or the call was dropped",
        );
        const html = await page.content();
        expect(html).not.toContain('555-0177');
        expect(html).not.toContain('5550177');
        expect(await page.inputValue('input[name=value]')).toBe('');
        // A link with a phone number in it is refused rather than served.
        const linked = await world.api(`/calls/search?by=phone&value=9195550177`);
        expect(linked.status).toBe(400);
        expect((await linked.json()).error).toBe('phone_in_url');
        await page.close();
      });

      test('by call id: a link to the journey of a VAN Bulk Import row', async () => {
        const page = await operator.newPage();
        await page.goto(`${world.service.url}/calls/search?by=call&value=${BULK_CALL}`);
        const found = page.locator(`section.journey[data-call="${BULK_CALL}"]`);
        expect(normalised(await found.locator('td.decision').textContent())).toBe(
          'VAN Bulk Import row — a row of a VAN Bulk Import job, which VAN processed',
        );
        expect(normalised(await found.locator('td.receipt').textContent())).toBe(
          'row 17 of VAN Bulk Import job 4242',
        );
        expect(normalised(await found.locator('td.van-request').textContent())).toBe(
          'none: this call is not posted to VAN one by one',
        );
        await page.close();
      });

      test('by account number: a CSV row with its file, and the same answer as JSON', async () => {
        const page = await operator.newPage();
        await searchFor(page, 'account', CSV_ACCOUNT);
        const found = page.locator(`section.journey[data-call="${CSV_CALL}"]`);
        expect(normalised(await found.locator('td.decision').textContent())).toBe(
          'CSV row — a row of the run’s results CSV',
        );
        expect(await found.locator('td.receipt a').getAttribute('href')).toBe(CSV_URL);
        await page.close();

        const answer = await world.api('/calls/search', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ by: 'account', value: CSV_ACCOUNT }),
        });
        expect(answer.status).toBe(200);
        const body = await answer.json();
        expect(body.calls).toHaveLength(1);
        expect(body.calls[0]).toMatchObject({
          callId: CSV_CALL,
          candidate: 'csv-candidate',
          phoneDialed: '•••0190',
          status: 'finished',
          decision: { route: 'csv' },
          receipt: { kind: 'csv', text: 'a row of the results CSV', url: CSV_URL },
          vanRequest: null,
          error: null,
        });
      });

      test('an organiser limited to other candidates is refused the call: not shown, not in the answer', async () => {
        const page = await limited.newPage();
        await page.goto(`${world.service.url}/calls/search?by=call&value=${CSV_CALL}`);
        expect(await text(page, 'p.found')).toBe(`0 calls for Call id ${CSV_CALL}`);
        expect(await page.locator('section.journey').count()).toBe(0);
        expect(await text(page, 'div.card.muted')).toBe('No call you may see matches.');
        // Their own candidate's calls they do find.
        await searchFor(page, 'voter', VOTER);
        expect(await page.locator('section.journey').count()).toBe(2);
        await page.close();

        const answer = await world.api('/calls/search', {
          method: 'POST',
          token: LIMITED_TOKEN,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ by: 'account', value: CSV_ACCOUNT }),
        });
        expect((await answer.json()).calls).toEqual([]);
        expect(cspViolations).toEqual([]);
      });
    });

    describe('a night at a glance', () => {
      const nightColumn = (page: Page, candidate: string, nightsAgo: number) =>
        page.locator(
          `.night-chart[data-candidate="${candidate}"] g.night[data-day="${addDays(TODAY, -nightsAgo)}"]`,
        );
      const numbers = (column: ReturnType<typeof nightColumn>) =>
        column.evaluate((g) => ({
          calls: g.getAttribute('data-calls'),
          van: g.getAttribute('data-van'),
          csv: g.getAttribute('data-csv'),
          errors: g.getAttribute('data-errors'),
          unknown: g.getAttribute('data-unknown'),
        }));
      const height = async (column: ReturnType<typeof nightColumn>, series: string) =>
        Number(await column.locator(`rect.${series}`).getAttribute('height'));

      test("the runs page draws 14 nights per candidate from the runs' counts, without JavaScript", async () => {
        const noScript = await signedIn(API_TOKEN, { javaScript: false });
        const page = await noScript.newPage();
        await page.goto(`${world.service.url}/runs`);
        expect(
          await page
            .locator('.night-chart')
            .evaluateAll((charts) => charts.map((c) => c.getAttribute('data-candidate'))),
        ).toEqual(['broken-candidate', 'csv-candidate', 'good-candidate', 'wrong-mode-candidate']);
        expect(await page.locator('.night-chart[data-candidate="good-candidate"] g.night').count()).toBe(14);

        // Yesterday: 400 claimed, 350 posted, 5 VAN errors of which 2 outcome unknown, 10 not attempted;
        // the dry run of the same night (999 calls) is not a night's work.
        const yesterday = nightColumn(page, 'good-candidate', 1);
        expect(await numbers(yesterday)).toEqual({
          calls: '400',
          van: '350',
          csv: '0',
          errors: '13',
          unknown: '2',
        });
        expect(await yesterday.locator('title').textContent()).toBe(
          `${addDays(TODAY, -1).slice(5)}: 400 calls · 350 to VAN · 0 to CSV · 13 errors · 2 outcome unknown`,
        );
        // The busiest night fills the 90-pixel plot; the others are drawn to its scale.
        expect(await height(yesterday, 'calls')).toBe(90);
        expect(await height(yesterday, 'van')).toBe(78.75);
        expect(await height(nightColumn(page, 'good-candidate', 3), 'calls')).toBe(45);
        // The night without a run is an empty column: the drop is seen.
        expect(await numbers(nightColumn(page, 'good-candidate', 2))).toEqual({
          calls: '0',
          van: '0',
          csv: '0',
          errors: '0',
          unknown: '0',
        });
        expect(await nightColumn(page, 'good-candidate', 2).locator('rect.van').count()).toBe(0);
        // A hybrid night splits by its results CSV's rows; an all-csv night is all CSV.
        expect(await numbers(nightColumn(page, 'broken-candidate', 1))).toEqual({
          calls: '50',
          van: '25',
          csv: '15',
          errors: '10',
          unknown: '0',
        });
        expect((await numbers(nightColumn(page, 'csv-candidate', 1))).csv).toBe('90');

        expect(
          normalised(await page.textContent('.night-chart[data-candidate="good-candidate"] .budget')),
        ).toBe(
          'VAN requests today: 412 of 1,000 (the key is shared with broken-candidate, wrong-mode-candidate)',
        );
        expect(
          normalised(await page.textContent('.night-chart[data-candidate="csv-candidate"] .budget')),
        ).toBe('CSV only: no VAN key');
        await page.locator('.nights').screenshot({ path: screenshots.file('runs-nights.png') });
        await noScript.close();
      });

      test('the same nights as JSON, and an organiser sees only their candidates', async () => {
        const all = await (await world.api('/runs')).json();
        const good = all.nights.find((c: { candidate: string }) => c.candidate === 'good-candidate');
        expect(good.nights[12]).toEqual({
          day: addDays(TODAY, -1),
          calls: 400,
          van: 350,
          csv: 0,
          errors: 13,
          unknown: 2,
        });
        expect(good.budget).toEqual({
          day: TODAY,
          used: 412,
          limit: 1000,
          sharedWith: ['broken-candidate', 'wrong-mode-candidate'],
        });
        const limitedRuns = await (await world.api('/runs', { token: LIMITED_TOKEN })).json();
        expect(limitedRuns.nights.map((c: { candidate: string }) => c.candidate)).toEqual([
          'broken-candidate',
          'good-candidate',
        ]);
      });
    });

    describe('the import page', () => {
      /** Samples both bars in the page every 20 ms, from before the upload until its result shows. */
      const sampleBars = (page: Page) =>
        page.evaluate(() => {
          const samples: { bytes: number; rows: number; rowsText: string }[] = [];
          (window as unknown as { samples: typeof samples }).samples = samples;
          const timer = setInterval(() => {
            samples.push({
              bytes: Number(document.getElementById('bytes-bar')!.dataset.percent),
              rows: Number(document.getElementById('rows-bar')!.dataset.percent),
              rowsText: document.getElementById('rows-bar-text')!.textContent ?? '',
            });
            if (document.getElementById('import-result') || document.getElementById('import-refused'))
              clearInterval(timer);
          }, 20);
        });
      const samplesOf = (page: Page) =>
        page.evaluate(
          () =>
            (window as unknown as { samples: { bytes: number; rows: number; rowsText: string }[] }).samples,
        );
      const resultCounts = (page: Page) =>
        page
          .locator('#import-result td[data-count]')
          .evaluateAll((cells) =>
            Object.fromEntries(cells.map((c) => [c.getAttribute('data-count'), Number(c.textContent)])),
          );
      const uploaded = (page: Page) =>
        page.waitForResponse((r) => r.url().includes('/calls/import?') && r.request().method() === 'POST', {
          timeout: 120_000,
        });

      test('a 100,000-row export: both bars move while it uploads, and the result is the API answer', async () => {
        const file = path.join(
          fs.mkdtempSync(path.join(os.tmpdir(), 'call-sync-import-')),
          'export-100k.csv',
        );
        fs.writeFileSync(file, bigExport());
        const page = await operator.newPage();
        await page.goto(`${world.service.url}/calls/imports`);
        expect(await text(page, 'h1')).toBe('Import calls');
        await page.setInputFiles('#upload input[type=file]', file);
        expect(await text(page, '#chosen')).toBe(
          `export-100k.csv · ${fs.statSync(file).size.toLocaleString('en-US')} bytes`,
        );
        await sampleBars(page);
        // The answer is kept as the page receives it: the 14 MB upload pushes it out of devtools' cache.
        await page.evaluate(() => {
          const send = XMLHttpRequest.prototype.send;
          XMLHttpRequest.prototype.send = function (this: XMLHttpRequest, body) {
            this.addEventListener('load', () => {
              (window as unknown as { answer: unknown }).answer = {
                status: this.status,
                job: JSON.parse(this.responseText),
              };
            });
            send.call(this, body);
          };
        });
        await page.click('#upload button[type=submit]');
        // A screenshot while the service is reading, for the README.
        await page.waitForFunction(
          () => {
            const rows = Number(document.getElementById('rows-bar')!.dataset.percent);
            return rows > 20 && rows < 90;
          },
          undefined,
          { timeout: 60_000 },
        );
        await page.screenshot({ path: screenshots.file('import-uploading.png') });
        await page.waitForSelector('#import-result', { timeout: 120_000 });
        const { status, job } = await page.evaluate(
          () => (window as unknown as { answer: { status: number; job: ImportAnswer } }).answer,
        );
        const samples = await samplesOf(page);
        const between = (values: number[]) => new Set(values.filter((v) => v > 0 && v < 100)).size;
        expect(between(samples.map((s) => s.bytes))).toBeGreaterThanOrEqual(2);
        expect(between(samples.map((s) => s.rows))).toBeGreaterThanOrEqual(2);
        // The rows count comes from the service while it reads, not guessed from the bytes.
        const rowsSeen = samples
          .map((s) => Number(s.rowsText.replace(/\D/g, '')))
          .filter((n) => n > 0 && n < 100_000);
        expect(rowsSeen.length).toBeGreaterThan(0);

        expect(status).toBe(200);
        expect(job.counts).toEqual({
          rows: 100_000,
          inserted: 99_995,
          updated: 0,
          unchanged: 0,
          testAccountsSkipped: 2,
          errors: 3,
        });
        expect(await resultCounts(page)).toEqual(job.counts);
        expect(
          await page
            .locator('#import-result table.row-errors tr')
            .evaluateAll((rows) =>
              rows.slice(1).map((r) => Array.from(r.querySelectorAll('td'), (td) => td.textContent)),
            ),
        ).toEqual(job.rowErrors.map((e) => [String(e.line), e.message, e.text]));
        expect(job.rowErrors.map((e) => e.line)).toEqual([12, 50_002, 100_000]);
        // The list below shows it, with who uploaded it.
        const listed = page.locator('#imports tbody tr', { hasText: 'export-100k.csv' });
        await listed.waitFor();
        expect(normalised(await listed.locator('td').nth(1).textContent())).toBe('ops');
        await page.screenshot({ path: screenshots.file('import-done.png'), fullPage: true });
        await page.close();
        fs.rmSync(path.dirname(file), { recursive: true, force: true });
      }, 180_000);

      test("a dropped file's row errors download as CSV; the same file again is unchanged rows", async () => {
        const page = await operator.newPage();
        await page.goto(`${world.service.url}/calls/imports`);
        const drop = async () => {
          const dataTransfer = await page.evaluateHandle((content) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([content], 'bad-export.csv', { type: 'text/csv' }));
            return transfer;
          }, BAD_EXPORT);
          await page.dispatchEvent('#drop', 'drop', { dataTransfer });
          const answer = uploaded(page);
          await page.click('#upload button[type=submit]');
          await page.waitForSelector('#import-result');
          return (await answer).json();
        };
        const first = await drop();
        expect(await resultCounts(page)).toEqual({
          rows: 5,
          inserted: 2,
          updated: 0,
          unchanged: 0,
          testAccountsSkipped: 1,
          errors: 2,
        });
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.click('#import-result a.errors-csv'),
        ]);
        expect(download.suggestedFilename()).toBe(`import-${first.importId}-errors.csv`);
        expect(fs.readFileSync((await download.path())!, 'utf8')).toBe(BAD_EXPORT_ERRORS_CSV);

        // Its own page lists the same errors, without JavaScript.
        await page.goto(`${world.service.url}/calls/imports/${first.importId}`);
        expect(await page.locator('table.row-errors tbody tr').count()).toBe(2);

        await page.goto(`${world.service.url}/calls/imports`);
        await drop();
        expect(await resultCounts(page)).toEqual({
          rows: 5,
          inserted: 0,
          updated: 0,
          unchanged: 2,
          testAccountsSkipped: 1,
          errors: 2,
        });
        await page.close();
      });

      test('a file that is no call export is refused with the API’s own words', async () => {
        const page = await operator.newPage();
        await page.goto(`${world.service.url}/calls/imports`);
        await page.setInputFiles('#upload input[type=file]', {
          name: 'contacts.csv',
          mimeType: 'text/csv',
          buffer: Buffer.from('name,phone\nAda,9195550101\n'),
        });
        const answer = uploaded(page);
        await page.click('#upload button[type=submit]');
        const response = await answer;
        expect(response.status()).toBe(400);
        const body = await response.json();
        await page.waitForSelector('#import-refused');
        expect(await text(page, '#import-refused')).toBe(`Not imported (400): ${body.detail}`);
        expect(body.detail).toMatch(/^the header lacks id, account_number, start, result;/);
        await page.close();
        expect(cspViolations).toEqual([]);
      });
    });
  });
}

interface ImportAnswer {
  importId: string;
  counts: Record<string, number>;
  rowErrors: { line: number; message: string; text: string }[];
}

const normalised = (text: string | null) => text?.replace(/\s+/g, ' ').trim();

const RUN = '0c1d2e3f-2222-4000-8000-000000000001';
const CSV_RUN = '0c1d2e3f-2222-4000-8000-000000000002';
const VOTER = '7700123';
const VAN_CALL = 'lv-journey-van';
const CONFIRMED_CALL = 'lv-journey-confirmed';
const IGNORED_CALL = 'lv-journey-ignored';
const BULK_CALL = 'lv-journey-bulk';
const CSV_CALL = 'lv-journey-csv';
const CSV_ACCOUNT = 'pa07-van-5500190';
const CSV_URL = 'http://s3.local/callsync-exports/csv-candidate/2026-10-20.csv?X-Amz-Signature=abc';

/** One night of calls as the pipeline leaves them: posted, confirmed by a person, ignored, bulk, CSV. */
async function arrangeJourneys(db: Db): Promise<void> {
  const window = { start: easternTime('2026-10-19', 22), end: easternTime('2026-10-20', 22) };
  const run = (runId: string, candidate: string, strategy: string) => ({
    _id: runId,
    runId,
    candidate,
    trigger: 'schedule',
    state: 'completed',
    strategy,
    window,
    scheduledAt: window.end,
    dryRun: false,
    callsClaimed: 3,
    counts: emptyRunCounts(),
    openedAt: window.end,
    startedAt: window.end,
    updatedAt: window.end,
    finishedAt: easternTime('2026-10-20', 22, 10),
  });
  await db
    .collection('runs')
    .insertMany([run(RUN, 'good-candidate', 'full'), run(CSV_RUN, 'csv-candidate', 'all csv')] as never[]);
  const vanRequest = (vanId: number, at: Date) => ({
    vanId,
    body: {
      canvassContext: {
        contactTypeId: 1,
        inputTypeId: 11,
        dateCanvassed: at.toISOString(),
        phone: { dialingPrefix: '1', phoneNumber: '9195550123' },
      },
      responses: [{ type: 'SurveyResponse' as const, surveyQuestionId: 101, surveyResponseId: 1011 }],
    },
  });
  const posted = easternTime('2026-10-20', 22, 2);
  await db.collection('calls').insertMany([
    makeCall({
      id: VAN_CALL,
      voter_id: VOTER,
      account_number: `nc05-van-${VOTER}`,
      phone_dialed: '9195550123',
      timestamp: easternTime('2026-10-20', 18, 5),
      finish_time: easternTime('2026-10-20', 18, 7),
      display_name: 'Strong support',
      run_id: RUN,
      sync_status: 'finished',
      van_request: vanRequest(100_301, easternTime('2026-10-20', 18, 5)),
      posting_started_at: posted,
      posting_request_id: 'req-van-1',
      attempts: 1,
      synced_at: posted,
      receipt: {
        kind: 'van',
        vanId: 100_301,
        dateCanvassed: '2026-10-20T18:05:00-04:00',
        requestId: 'req-van-1',
        postedAt: posted,
        httpStatus: 204,
      },
    }),
    makeCall({
      id: CONFIRMED_CALL,
      voter_id: VOTER,
      account_number: `nc05-van-${VOTER}`,
      phone_dialed: '9195550123',
      timestamp: easternTime('2026-10-20', 19, 40),
      run_id: RUN,
      // As confirmInVan leaves it: finished, the flag and the error gone, the verdict kept.
      sync_status: 'finished',
      van_request: vanRequest(100_301, easternTime('2026-10-20', 19, 40)),
      posting_started_at: easternTime('2026-10-20', 22, 3),
      posting_request_id: 'req-unknown-1',
      attempts: 1,
      synced_at: easternTime('2026-10-21', 9, 30),
      resolution: { verdict: 'in-van', by: 'ops', at: easternTime('2026-10-21', 9, 30) },
      receipt: {
        kind: 'van-confirmed',
        confirmedBy: 'ops',
        confirmedAt: easternTime('2026-10-21', 9, 30),
        requestId: 'req-unknown-1',
      },
    }),
    makeCall({
      id: IGNORED_CALL,
      phone_dialed: '9195550177',
      timestamp: easternTime('2026-10-20', 17, 0),
      run_id: RUN,
      sync_status: 'ignored',
      synced_at: easternTime('2026-10-20', 22, 0),
    }),
    makeCall({
      id: BULK_CALL,
      timestamp: easternTime('2026-10-20', 16, 0),
      client: 'broken-candidate',
      sync_status: 'finished',
      receipt: { kind: 'van-bulk', jobId: '4242', row: 17 },
    }),
    makeCall({
      id: CSV_CALL,
      account_number: CSV_ACCOUNT,
      voter_id: '5500190',
      district: 'pa07',
      phone_dialed: '2155550190',
      client: 'csv-candidate',
      timestamp: easternTime('2026-10-20', 15, 0),
      run_id: CSV_RUN,
      sync_status: 'finished',
      synced_at: easternTime('2026-10-20', 22, 4),
      receipt: { kind: 'csv', url: CSV_URL },
    }),
  ] as never[]);
}

/** Set before the nights are arranged, away from Eastern midnight. */
let TODAY = '';

/** Nights relative to today: a busy one yesterday, none the night before, a quieter one before that. */
async function arrangeNights(db: Db): Promise<void> {
  const night = (runId: string, candidate: string, nightsAgo: number, fields: Record<string, unknown>) => {
    const day = addDays(TODAY, -nightsAgo);
    const window = { start: easternTime(addDays(day, -1), 22), end: easternTime(day, 22) };
    return {
      _id: runId,
      runId,
      candidate,
      trigger: 'schedule',
      state: 'completed',
      window,
      scheduledAt: window.end,
      dryRun: false,
      openedAt: window.end,
      updatedAt: window.end,
      finishedAt: window.end,
      ...fields,
      counts: { ...emptyRunCounts(), ...(fields.counts as object) },
    };
  };
  const busy = '0d1e2f30-3333-4000-8000-000000000001';
  await db.collection('runs').insertMany([
    night(busy, 'good-candidate', 1, {
      strategy: 'full',
      callsClaimed: 400,
      counts: { finished: 350, attempted_error: 5, unattempted_error: 10, ignored: 35 },
    }),
    night('0d1e2f30-3333-4000-8000-000000000002', 'good-candidate', 1, {
      trigger: 'request',
      dryRun: true,
      strategy: 'full',
      callsClaimed: 999,
      counts: { finished: 999 },
    }),
    night('0d1e2f30-3333-4000-8000-000000000003', 'good-candidate', 3, {
      strategy: 'full',
      callsClaimed: 200,
      counts: { finished: 180, ignored: 20 },
    }),
    night('0d1e2f30-3333-4000-8000-000000000004', 'broken-candidate', 1, {
      strategy: 'hybrid',
      callsClaimed: 50,
      counts: { finished: 40, unattempted_error: 10 },
      csvExport: { key: 'broken-candidate/results.csv', rows: 15 },
    }),
    night('0d1e2f30-3333-4000-8000-000000000005', 'csv-candidate', 1, {
      strategy: 'all csv',
      callsClaimed: 100,
      counts: { finished: 90, ignored: 10 },
    }),
  ] as never[]);
  await db.collection('calls').insertMany(
    ['lv-night-unknown-1', 'lv-night-unknown-2'].map((id) =>
      makeCall({
        id,
        timestamp: easternTime(addDays(TODAY, -1), 19),
        run_id: busy,
        sync_status: 'attempted_error',
        outcome_unknown: true,
        error: 'outcome unknown — check VAN before replaying (timeout)',
      }),
    ) as never[],
  );
  const fingerprint = fingerprintApiKey(VAN_KEY_MYVOTERS);
  await db.collection('van_budgets').insertOne({
    _id: `${fingerprint}:${TODAY}`,
    keyFingerprint: fingerprint,
    day: TODAY,
    used: 412,
  } as never);
}

/** 100,000 rows of an evening; rows 10, 50,000 and 99,998 are bad, 5 and 60,000 test accounts. */
function bigExport(): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = (seconds: number) => {
    const s = seconds % 14_400;
    return `20-10-2026 ${pad(17 + Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  };
  const lines = [EXPORT_HEADER];
  for (let i = 0; i < 100_000; i += 1) {
    let id = `page-${i}`;
    let account = `nc05-van-${200_000 + i}`;
    let result = i % 2 === 0 ? 'NO ANSWER' : 'Agent Cust 1 (167)';
    if (i === 10) account = 'nc05/van/x';
    if (i === 50_000) result = '';
    if (i === 99_998) id = '';
    if (i === 5 || i === 60_000) account = `TEST${i}`;
    lines.push(
      `${id},${account},"Ada ${i}","Love, lace",919555${String(i % 10_000).padStart(4, '0')},${time(i + 5)},${time(i)},${time(i + 90)},vol_${i % 40},${result},5501`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const BAD_EXPORT = [
  EXPORT_HEADER,
  'imp-ok-1,nc05-van-300001,"Ada","Love, lace",9195550001,20-10-2026 17:00:05,20-10-2026 17:00:00,20-10-2026 17:01:30,vol_1,NO ANSWER,5501',
  'imp-bad-1,nc05/van/x,"Bea","Smith",9195550002,20-10-2026 17:02:05,20-10-2026 17:02:00,20-10-2026 17:03:30,vol_1,NO ANSWER,5501',
  'imp-test-1,TEST1,"Tess","Test",9195550003,20-10-2026 17:04:05,20-10-2026 17:04:00,20-10-2026 17:05:30,vol_1,NO ANSWER,5501',
  'imp-bad-2,nc05-van-300004,"Cy","=Dee",9195550004,20-10-2026 17:06:05,20-10-2026 17:06:00,20-10-2026 17:07:30,vol_1,,5501',
  'imp-ok-2,nc05-van-300005,"Di","Eve",9195550005,20-10-2026 17:08:05,20-10-2026 17:08:00,20-10-2026 17:09:30,vol_1,NO ANSWER,5501',
].join('\n');

/** What the person fixing the export downloads: the line, the error and the row, quoted as CSV. */
const BAD_EXPORT_ERRORS_CSV = [
  'line,error,row',
  '3,"account number ""nc05/van/x"" is not district-system-voterid (e.g. nc05-van-18372073)","imp-bad-1,nc05/van/x,""Bea"",""Smith"",9195550002,20-10-2026 17:02:05,20-10-2026 17:02:00,20-10-2026 17:03:30,vol_1,NO ANSWER,5501"',
  '5,result is empty,"imp-bad-2,nc05-van-300004,""Cy"",""=Dee"",9195550004,20-10-2026 17:06:05,20-10-2026 17:06:00,20-10-2026 17:07:30,vol_1,,5501"',
  '',
].join('\r\n');
