import { RunState } from '@call-sync/core';
import { stagedFrom, type Configuration, type StagedConfiguration } from '@call-sync/integrations';
import { generateSeed } from '@call-sync/sandbox';
import { callsCollection, runsCollection } from '@call-sync/store';
import { seedCalls, seedConfiguration, waitForValue } from '@call-sync/testkit';
import { runExtract } from '../src/extract-sequence';
import { logger, sandboxSettings, slowVanNight } from './support/extractor-world';

// Two candidates' nights (both VAN ones: an `all csv` candidate reads no metadata), extracted by
// one `extract`: their runs start side by side, so no candidate's writer waits for another's
// claims; only the large claims past a run's first batch take turns (EXTRACT_CANDIDATES_AT_ONCE).
// VAN answers after LATENCY_MS, and each run starts (`startedAt`) once its VAN metadata has come
// back: side by side, every run starts within one answer of the first; one after another, each
// would start at least one answer after the one before.

const LATENCY_MS = 1_500;
const NIGHT_OVER = new Date('2026-10-21T02:30:00Z'); // 22:30 Eastern, after both Sync Times (21, 22)
// More calls than a run's first batch (two messages: 40), so the large claims take their turns too.
const fixture = generateSeed({ candidates: 2, callsPerCandidate: 400, seed: 11, day: '2026-10-20' });
const configuration: Configuration = seedConfiguration(fixture);
const night = slowVanNight('extract-side-by-side', fixture, LATENCY_MS);

/** One `extract` after the night, in a database of its own; the runs' start times, in order. */
async function extractNight(candidatesAtOnce: number): Promise<{ candidate: string; startedAt: number }[]> {
  const database = await night.database();
  await callsCollection(database.db).insertMany(seedCalls(fixture, configuration));
  const settings = sandboxSettings(night.van.url, { EXTRACT_CANDIDATES_AT_ONCE: String(candidatesAtOnce) });
  const outcome = await runExtract(
    { db: database.db, publisher: night.publisher, logger, settings },
    stagedFrom(configuration),
    {
      now: NIGHT_OVER,
    },
  );
  const runs = await runsCollection(database.db).find().toArray();
  // Every candidate's night was extracted and handed on, whichever way.
  expect(runs.map((r) => r.candidate).sort()).toEqual(fixture.meta.candidates.map((c) => c.slug).sort());
  expect(outcome.runs.map((r) => r.candidate)).toEqual(
    runs.sort((a, b) => +a.openedAt - +b.openedAt).map((r) => r.candidate),
  );
  for (const run of runs)
    expect([RunState.Writing, RunState.Exporting, RunState.Completed]).toContain(run.state);
  // Every call of each night was decided, past the first batch too.
  for (const run of runs) {
    const district = configuration.candidates.get(run.candidate)!.candidate.district;
    expect(run.progress?.callsDecided).toBe(await callsCollection(database.db).countDocuments({ district }));
  }
  expect(Math.max(...runs.map((r) => r.progress?.callsDecided ?? 0))).toBeGreaterThan(40);
  return runs
    .map((r) => ({ candidate: r.candidate, startedAt: r.startedAt!.getTime() }))
    .sort((a, b) => a.startedAt - b.startedAt);
}

const spread = (runs: { startedAt: number }[]) => runs[runs.length - 1]!.startedAt - runs[0]!.startedAt;

test('candidates are extracted side by side: every run starts within one VAN answer of the first', async () => {
  const runs = await extractNight(4);
  expect(runs).toHaveLength(2);
  expect(spread(runs)).toBeLessThan(LATENCY_MS);
});

test('with one claiming slot the runs still start side by side: only the large claims take turns', async () => {
  const runs = await extractNight(1);
  expect(runs).toHaveLength(2);
  expect(spread(runs)).toBeLessThan(LATENCY_MS);
});

test("a run waits only for its own candidate's result table, not for every candidate's", async () => {
  const database = await night.database();
  const calls = seedCalls(fixture, configuration);
  await callsCollection(database.db).insertMany(calls);
  const [first, second] = fixture.meta.candidates;
  const firstCalls = calls.filter((c) => c.district === first!.district).length;
  expect(firstCalls).toBeGreaterThan(0);
  // The second candidate's table is still being read from Airtable until this test lets it come.
  let tableArrives!: () => void;
  const secondTable = new Promise<void>((resolve) => (tableArrives = resolve));
  const whole = stagedFrom(configuration);
  const staged: StagedConfiguration = {
    ...whole,
    candidate: async (slug) => {
      if (slug === second!.slug) await secondTable;
      return whole.candidate(slug);
    },
    complete: async () => {
      await secondTable;
      return whole.complete();
    },
  };
  const settings = sandboxSettings(night.van.url);
  const extraction = runExtract({ db: database.db, publisher: night.publisher, logger, settings }, staged, {
    now: NIGHT_OVER,
  });
  const runs = runsCollection(database.db);
  // The first candidate's night is claimed and handed on while the second's table is out.
  const firstRun = await waitForValue(
    async () => {
      const run = await runs.findOne({ candidate: first!.slug });
      return run?.state === RunState.Writing || run?.state === RunState.Completed ? run : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 100, what: "the first candidate's run handed on" },
  );
  expect(firstRun.counts).toBeDefined();
  expect(await callsCollection(database.db).countDocuments({ run_id: firstRun.runId })).toBe(firstCalls);
  expect((await runs.findOne({ candidate: second!.slug }))?.state).toBe(RunState.Open);
  tableArrives();
  const outcome = await extraction;
  expect(outcome.runs.map((r) => r.candidate).sort()).toEqual([first!.slug, second!.slug].sort());
  // Every call of the night was claimed by one of the two runs.
  const claimedBy = (run: { runId: string }) =>
    callsCollection(database.db).countDocuments({ run_id: run.runId });
  expect((await claimedBy(outcome.runs[0]!)) + (await claimedBy(outcome.runs[1]!))).toBe(calls.length);
});
