import type { Db } from 'mongodb';
import { type Browser, type BrowserContext } from 'playwright-core';
import { emptyRunCounts } from '@call-sync/core';
import { easternTime, makeCall } from './support/calls';
import { API_TOKEN, useConfigWorld } from './support/config-world';
import { chromiumMissing, launchChromium, screenshotFolder } from './support/browser';

// The organisers' pages in a real browser (Debian's chromium driven by playwright-core), with
// screenshots. Without chromium the test fails and says how to install it.

const screenshots = screenshotFolder();

if (chromiumMissing) {
  test('chromium is installed for the page tests', () => {
    throw new Error(chromiumMissing);
  });
} else {
  describe('the pages in a browser', () => {
    let browser: Browser;
    let context: BrowserContext;
    const cspViolations: string[] = [];

    // Before the world's: jest runs afterAll hooks in the order they are declared, and the browser
    // lets go of its connections to the service before the service stops.
    afterAll(async () => {
      await browser?.close();
      screenshots.cleanUp();
    });
    const world = useConfigWorld();
    beforeAll(async () => {
      await arrangeRuns(world.db);
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: world.service.url });
      context.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
      });
    }, 90_000);

    test('a browser without the cookie is asked to sign in, and signs in with a token', async () => {
      const page = await context.newPage();
      const refused = await page.goto(`${world.service.url}/configure/good-candidate`);
      expect(refused?.status()).toBe(401);
      expect(await page.textContent('h1')).toBe('Please sign in');
      await page.goto(`${world.service.url}/login?next=/candidates`);
      await page.fill('input[name=token]', API_TOKEN);
      await page.click('button[type=submit]');
      await page.waitForURL('**/candidates');
      expect(await page.textContent('h1')).toBe('Candidates');
      await page.screenshot({ path: screenshots.file('candidates.png'), fullPage: true });
      await page.close();
    });

    test('the configure page lists the VAN ids and copies one to the clipboard', async () => {
      const page = await context.newPage();
      await page.goto(`${world.service.url}/configure/good-candidate`);
      expect(await page.textContent('h1')).toBe('Configure Good Candidate');
      await page.click('button.copy[data-copy="101,1011"]');
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('101,1011');
      expect(await page.textContent('button.copy[data-copy="101,1011"]')).toBe('copied');
      await page.screenshot({ path: screenshots.file('configure.png'), fullPage: true });
      await page.close();
    });

    test('the validate page shows the verdict banner and every row with its checks', async () => {
      const page = await context.newPage();
      await page.goto(`${world.service.url}/validate/broken-candidate`);
      expect((await page.textContent('.banner.bad'))?.trim()).toMatch(/^THIS SYNC HAS ERRORS/);
      expect(await page.locator('tbody tr').count()).toBe(6);
      await page.screenshot({ path: screenshots.file('validate-errors.png'), fullPage: true });
      await page.goto(`${world.service.url}/validate/good-candidate`);
      expect((await page.textContent('.banner.ok'))?.trim()).toBe('This sync is good to go!');
      await page.screenshot({ path: screenshots.file('validate-ok.png'), fullPage: true });
      await page.close();
    });

    test('the runs page shows progress bars and report delivery', async () => {
      const page = await context.newPage();
      await page.goto(`${world.service.url}/runs`);
      expect(await page.locator('.progress span').count()).toBeGreaterThan(3);
      const width = await page
        .locator('.progress span.finished')
        .first()
        .evaluate((el) => el.getBoundingClientRect().width);
      expect(width).toBeGreaterThan(0); // the style attributes are allowed by the CSP
      expect(normalised(await page.textContent('.left-behind'))).toMatch(
        /^good-candidate: 7 calls left behind\. They were made between 09-01-2026 10:00 PM and 10-16-2026 10:00 PM \(Eastern\)/,
      );
      await page.screenshot({ path: screenshots.file('runs.png'), fullPage: true });
      await page.close();
      expect(cspViolations).toEqual([]);
    });

    test('the outcome-unknown worklist: a run links to it, a person ticks a call and confirms it in VAN', async () => {
      const page = await context.newPage();
      await page.goto(`${world.service.url}/runs/${NIGHTLY_RUN}`);
      await page.screenshot({ path: screenshots.file('run.png'), fullPage: true });
      await page.click('.outcome-unknown a');
      await page.waitForURL(`**/outcome-unknown?run=${NIGHTLY_RUN}`);
      expect(await page.textContent('h1')).toBe('Outcome unknown');
      expect(await page.locator('tbody tr').count()).toBe(2);
      expect(await page.textContent('tbody')).toContain('Support 2026');
      await page.screenshot({ path: screenshots.file('outcome-unknown.png'), fullPage: true });
      await page.check(`input[value="${UNKNOWN_CALLS[0]}"]`);
      await page.click('button[value="in-van"]');
      await page.waitForURL('**/outcome-unknown/resolve');
      expect(await page.textContent('h1')).toBe('Confirmed in VAN');
      expect(await page.textContent('tbody')).toContain('finished: confirmed in VAN by ops');
      await page.goto(`${world.service.url}/outcome-unknown?run=${NIGHTLY_RUN}`);
      expect(await page.locator('tbody tr').count()).toBe(1);
      await page.close();
      expect(cspViolations).toEqual([]);
    });

    test("a continuous candidate's open day shows its progress through the window; a nightly run none of it", async () => {
      // The day of 10-21 (window from 10 pm on the 20th), its last cycle at 4 pm: 18 of 24 hours.
      const expected =
        'continuous day 75% through · 216 cycles, last 10-21-2026 04:00 PM · posts calls 5 min after they end · closes 10-21-2026 10:05 PM';
      const page = await context.newPage();
      await page.goto(`${world.service.url}/runs`);
      const row = (runId: string) => page.locator(`tr:has(a[href="/runs/${runId}"])`);
      expect(normalised(await row(CONTINUOUS_RUN).locator('.continuous-day').textContent())).toBe(expected);
      expect(await row(NIGHTLY_RUN).count()).toBe(1);
      expect(await row(NIGHTLY_RUN).textContent()).not.toMatch(/continuous|cycles|closes/);
      await page.goto(`${world.service.url}/runs/${CONTINUOUS_RUN}`);
      expect(normalised(await page.textContent('.continuous-day'))).toBe(expected);
      await page.goto(`${world.service.url}/runs/${NIGHTLY_RUN}`);
      expect(await page.locator('.continuous-day').count()).toBe(0);
      expect(await page.textContent('body')).not.toMatch(/continuous|cycles/);
      await page.close();

      const answer = async (runId: string) =>
        (await (await world.api(`/runs/${runId}`)).json()) as { continuous: unknown };
      expect((await answer(CONTINUOUS_RUN)).continuous).toEqual({
        open: true,
        closesAt: '2026-10-22T02:05:00.000Z',
        settleMinutes: 5,
        cycles: 216,
        lastCycleAt: '2026-10-21T20:00:00.000Z',
        dayPercent: 75,
      });
      expect((await answer(NIGHTLY_RUN)).continuous).toBeNull();
    });
  });
}

const normalised = (text: string | null) => text?.replace(/\s+/g, ' ').trim();

const NIGHTLY_RUN = '0b7f8a9c-1111-4000-8000-000000000001';
const CONTINUOUS_RUN = '0b7f8a9c-1111-4000-8000-000000000005';

/** A morning's runs page: one writing, one completed with its report sent, one failed, one dry run, a continuous day. */
async function arrangeRuns(db: Db): Promise<void> {
  const window = { start: easternTime('2026-10-19', 22), end: easternTime('2026-10-20', 22) };
  const run = (runId: string, candidate: string, fields: Record<string, unknown>) => ({
    _id: runId,
    runId,
    candidate,
    trigger: 'schedule',
    window,
    scheduledAt: window.end,
    dryRun: false,
    openedAt: new Date(Date.now() - 5 * 60_000),
    updatedAt: new Date(),
    ...fields,
  });
  const counts = (values: Record<string, number>) => ({ ...emptyRunCounts(), ...values });
  await db.collection('runs').insertMany([
    run(NIGHTLY_RUN, 'good-candidate', {
      state: 'writing',
      strategy: 'full',
      leftBehind: { calls: 7, before: easternTime('2026-10-16', 22), since: easternTime('2026-09-01', 22) },
      callsClaimed: 480,
      counts: counts({
        finished: 301,
        attempted_error: 4,
        unattempted_error: 6,
        ignored: 22,
        queued_for_csv: 17,
        in_progress: 130,
      }),
    }),
    run('0b7f8a9c-1111-4000-8000-000000000002', 'csv-candidate', {
      state: 'completed',
      strategy: 'all csv',
      callsClaimed: 212,
      counts: counts({ finished: 198, ignored: 14 }),
      finishedAt: new Date(Date.now() - 4 * 60_000),
    }),
    run('0b7f8a9c-1111-4000-8000-000000000003', 'broken-candidate', {
      state: 'failed',
      strategy: 'hybrid',
      callsClaimed: 95,
      counts: counts({ finished: 40, unattempted_error: 12, in_progress: 43 }),
      error: 'VAN daily request budget spent for this key',
      finishedAt: new Date(Date.now() - 2 * 60_000),
    }),
    run('0b7f8a9c-1111-4000-8000-000000000004', 'good-candidate', {
      trigger: 'request',
      state: 'completed',
      dryRun: true,
      strategy: 'full',
      callsClaimed: 0,
      counts: emptyRunCounts(),
      finishedAt: new Date(),
      dryRunResult: {
        calls: 510,
        byRoute: { van: 431, 'van-bulk': 0, csv: 0, 'csv-after-van': 0, none: 79 },
        byStatus: { in_progress: 431, ignored: 40, queued_for_csv: 30, unattempted_error: 9 },
        byDisplayName: { 'Strong support': 120, 'Not home': 311 },
        errors: [],
        vanRequests: { canvassPosts: 431, bulkImport: 0, metadata: 3, total: 434 },
        estimatedCostCents: 0,
      },
    }),
    // The next day of a continuous candidate (Sync Mode continuous), still taking calls.
    run(CONTINUOUS_RUN, 'good-candidate', {
      state: 'extracting',
      strategy: 'full',
      // Counted again when this later run opened: the page reads the latest scheduled run's count,
      // and the two runs' openedAt differ by however long building them took.
      leftBehind: { calls: 7, before: easternTime('2026-10-16', 22), since: easternTime('2026-09-01', 22) },
      window: { start: window.end, end: easternTime('2026-10-21', 22) },
      scheduledAt: easternTime('2026-10-21', 22),
      callsClaimed: 150,
      counts: counts({ finished: 141, ignored: 6, in_progress: 3 }),
      continuous: {
        settleMs: 5 * 60_000,
        closesAt: easternTime('2026-10-21', 22, 5),
        cycles: 216,
        lastCycleAt: easternTime('2026-10-21', 16),
      },
    }),
  ] as never[]);
  await db.collection('reports').insertOne({
    _id: '0b7f8a9c-1111-4000-8000-000000000002',
    runId: '0b7f8a9c-1111-4000-8000-000000000002',
    candidate: 'csv-candidate',
    kind: 'completed',
    to: 'csv@example.org',
    subject: 'Dialer Results for 10-20',
    text: '…',
    createdAt: new Date(),
    delivery: { status: 'sent', attempts: 1, sentAt: new Date(), nextAttemptAt: new Date() },
  } as never);
  await db.collection('calls').insertOne(makeCall({ timestamp: easternTime('2026-10-20', 18) }));
  await db.collection('calls').insertMany(
    UNKNOWN_CALLS.map((id, i) =>
      makeCall({
        id,
        timestamp: easternTime('2026-10-20', 18, 10 + i),
        run_id: NIGHTLY_RUN,
        sync_status: 'attempted_error',
        outcome_unknown: true,
        error: 'outcome unknown — check VAN before replaying (timeout)',
        posting_started_at: easternTime('2026-10-20', 22, 3),
        posting_request_id: `req-${id}`,
        attempts: 1,
        display_name: 'Strong support',
        van_request: {
          vanId: 100_201 + i,
          body: {
            canvassContext: {
              contactTypeId: 1,
              inputTypeId: 11,
              dateCanvassed: easternTime('2026-10-20', 18, 10 + i).toISOString(),
            },
            responses: [{ type: 'SurveyResponse', surveyQuestionId: 101, surveyResponseId: 1011 }],
          },
        },
      }),
    ),
  );
}

const UNKNOWN_CALLS = ['lv-unknown-0001', 'lv-unknown-0002'];
