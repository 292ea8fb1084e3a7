import { fingerprintApiKey } from '@call-sync/core';
import { Collections } from '@call-sync/platform';
import { createMongoRequestBudget } from '@call-sync/store';
import { useConfigWorld, VAN_KEY_MYVOTERS } from './support/config-world';

// The pages' VAN reads count against the key's daily budget in Mongo, the one the pipeline
// spends: a page load costs requests, and a spent day gives a clear answer instead of a crash.

const DAILY_BUDGET = 40;
const SPENT = "VAN's daily request budget for this key is spent; the pages work again tomorrow (Eastern).";

// No metadata cache: every page load asks VAN, as the first load of the day would.
const world = useConfigWorld({ VAN_DAILY_BUDGET: String(DAILY_BUDGET), VAN_METADATA_CACHE_MS: '0' });

test("a page load spends the key's shared budget, and a spent budget answers 503 with a clear message", async () => {
  const budget = createMongoRequestBudget(world.db, fingerprintApiKey(VAN_KEY_MYVOTERS), DAILY_BUDGET);
  world.van.reset();

  const validate = await world.api('/validate/good-candidate');
  expect(validate.status).toBe(200);
  expect(await validate.json()).toMatchObject({ ok: true });
  // Every request the page sent VAN was taken from the key's day, in the pipeline's documents.
  const sent = world.van.requestLog().length;
  expect(sent).toBeGreaterThan(1);
  expect(await budget.remaining()).toBe(DAILY_BUDGET - sent);
  const [day] = await world.db.collection(Collections.VanBudgets).find().toArray();
  expect(day).toMatchObject({ keyFingerprint: fingerprintApiKey(VAN_KEY_MYVOTERS), used: sent });

  // The night's run spends the rest.
  while (await budget.tryConsume());
  expect(await budget.remaining()).toBe(0);

  const spentValidate = await world.api('/validate/good-candidate');
  expect(spentValidate.status).toBe(503);
  expect(await spentValidate.json()).toEqual({ error: 'van_budget_spent', detail: SPENT });
  const spentPage = await world.api('/configure/good-candidate', { headers: { accept: 'text/html' } });
  expect(spentPage.status).toBe(503);
  expect(await spentPage.text()).toContain(
    'daily request budget for this key is spent; the pages work again tomorrow (Eastern).',
  );
  const dryRun = await world.api('/runs/good-candidate?dryRun=true&window=2026-10-20', { method: 'POST' });
  expect(dryRun.status).toBe(503);
  const { runId, ...answer } = (await dryRun.json()) as { runId: string };
  expect(answer).toEqual({ error: 'van_budget_spent', detail: SPENT });
  expect(await (await world.api(`/runs/${runId}`)).json()).toMatchObject({ state: 'failed', error: SPENT });
  // Nothing more reached VAN, and the service is still up.
  expect(world.van.requestLog()).toHaveLength(sent);
  expect((await world.api('/healthz')).status).toBe(200);
});
