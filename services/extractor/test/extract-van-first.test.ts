import { RunState } from '@call-sync/core';
import { stagedFrom, type Configuration } from '@call-sync/integrations';
import { generateSeed } from '@call-sync/sandbox';
import { callsCollection, runsCollection, vanBudgetsCollection } from '@call-sync/store';
import { seedCalls, seedConfiguration } from '@call-sync/testkit';
import { runExtract } from '../src/extract-sequence';
import { logger, sandboxSettings, slowVanNight, type TestDatabase } from './support/extractor-world';

// A night with one VAN candidate and one `all csv` candidate, extracted by one `extract`, with VAN
// answering after LATENCY_MS: the VAN key's first calls go out before the CSV run starts, and the
// key's metadata reads leave together, billed to its day exactly once each.

const LATENCY_MS = 1_500;
/** A key rate at which five reads paced one after another would take ~0.8 s to leave. */
const KEY_RATE = 5;
const NIGHT_OVER = new Date('2026-10-21T02:30:00Z'); // 22:30 Eastern, after both Sync Times (21, 22)
const fixture = generateSeed({ candidates: 2, callsPerCandidate: 120, seed: 23, day: '2026-10-20' });
const [csvSlug, vanSlug] = fixture.meta.candidates.map((c) => c.slug) as [string, string];
const configuration: Configuration = (() => {
  const seeded = seedConfiguration(fixture);
  const candidates = new Map(seeded.candidates);
  const csv = candidates.get(csvSlug)!;
  candidates.set(csvSlug, { ...csv, candidate: { ...csv.candidate, strategy: 'all csv' } });
  return { ...seeded, candidates };
})();
const night = slowVanNight('extract-van-first', fixture, LATENCY_MS);

async function extractNight(): Promise<{ db: TestDatabase['db']; runIds: string[] }> {
  const database = await night.database();
  await callsCollection(database.db).insertMany(seedCalls(fixture, configuration));
  night.van.reset();
  const outcome = await runExtract(
    {
      db: database.db,
      publisher: night.publisher,
      logger,
      settings: sandboxSettings(night.van.url, { VAN_RATE_PER_SECOND: String(KEY_RATE) }),
    },
    stagedFrom(configuration),
    { now: NIGHT_OVER },
  );
  return { db: database.db, runIds: outcome.runs.map((run) => run.runId) };
}

test("a CSV-only candidate's run starts only once the VAN candidate's first calls are on their way", async () => {
  const { db, runIds } = await extractNight();
  const runs = await runsCollection(db).find().sort({ openedAt: 1 }).toArray();
  // The runs are reported as they were opened, although the VAN one was taken first.
  expect(runIds).toEqual(runs.map((r) => r.runId));
  const vanRun = runs.find((r) => r.candidate === vanSlug)!;
  const csvRun = runs.find((r) => r.candidate === csvSlug)!;
  expect(vanRun.state).toBe(RunState.Writing);
  expect(csvRun.state).toBe(RunState.Exporting);
  // The VAN run claims its first calls once its metadata is back, LATENCY_MS after VAN received
  // the reads; the CSV run, which reads no metadata, would otherwise have started at once.
  const metadataAsked = Math.min(...night.van.requestLog().map((entry) => entry.at));
  expect(csvRun.startedAt!.getTime()).toBeGreaterThanOrEqual(metadataAsked + LATENCY_MS);
  // Every call of both nights was still decided.
  for (const run of [vanRun, csvRun]) {
    const district = configuration.candidates.get(run.candidate)!.candidate.district;
    expect(run.progress?.callsDecided).toBe(await callsCollection(db).countDocuments({ district }));
  }
});

test("a candidate's VAN metadata reads leave together, and its day is billed exactly the reads sent", async () => {
  const { db } = await extractNight();
  const reads = night.van.requestLog().filter((entry) => entry.method === 'GET');
  // Five lists, one page each in the seeded VAN.
  expect(reads).toHaveLength(5);
  const at = reads.map((entry) => entry.at);
  // Paced one at a time at KEY_RATE they would leave over 4 × 1/(0.97 × KEY_RATE) s ≈ 825 ms.
  expect(Math.max(...at) - Math.min(...at)).toBeLessThan(400);
  const vanRun = await runsCollection(db).findOne({ candidate: vanSlug });
  expect(vanRun?.vanRequestsUsed).toBe(5);
  // One block of the day taken for the five reads, nothing of it kept back.
  const days = await vanBudgetsCollection(db).find().toArray();
  expect(days.map((day) => day.used)).toEqual([5]);
});
