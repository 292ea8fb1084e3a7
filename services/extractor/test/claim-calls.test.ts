import { RunState, type Call } from '@call-sync/core';
import { callsCollection, newRunDocument, type RunDocument } from '@call-sync/store';
import { recordingPublisher } from '../../../test/support/publisher';
import { claimRunCalls } from '../src/claim-calls';
import {
  configurationOf,
  createTestDatabase,
  logger,
  makeCall,
  type TestDatabase,
} from './support/extractor-world';

// A night's first calls are read by a query of their own (two messages' worth: 40 here) before the main cursor
// opens; the cursor then finds only the calls not claimed yet. Around that seam — no call, fewer
// than the first query takes, exactly as many, one more, several cursor batches — every call of
// the window is decided and claimed once, and nothing outside it is touched.

const WINDOW = { start: new Date('2026-10-20T04:00:00Z'), end: new Date('2026-10-21T04:00:00Z') };
const configuration = configurationOf([{ name: 'Good Candidate', district: 'nc05', active: true }]);
const config = configuration.candidates.get('good-candidate')!;
const databases: TestDatabase[] = [];

afterAll(async () => {
  await Promise.all(databases.map((d) => d.drop()));
});

function runOf(dryRun: boolean): RunDocument {
  const run = { candidate: 'good-candidate', trigger: 'schedule' as const, window: WINDOW, dryRun };
  return { ...newRunDocument({ ...run, scheduledAt: new Date() }), state: RunState.Extracting };
}

/** `count` calls of the night in the window, ten seconds apart, and two the run must not touch. */
async function nightOf(
  count: number,
): Promise<{ database: TestDatabase; night: string[]; outside: string[] }> {
  const database = await createTestDatabase('claim-calls');
  databases.push(database);
  const night: Call[] = Array.from({ length: count }, (_, i) =>
    makeCall({ timestamp: new Date(WINDOW.start.getTime() + 3_600_000 + i * 10_000) }),
  );
  const outside = [
    makeCall({ timestamp: new Date(WINDOW.end.getTime() + 60_000) }),
    makeCall({ timestamp: new Date(WINDOW.start.getTime() + 3_600_000), district: 'ga07' }),
  ];
  await callsCollection(database.db).insertMany([...night, ...outside]);
  return { database, night: night.map((c) => c.id), outside: outside.map((c) => c.id) };
}

test.each([0, 1, 39, 40, 41, 6_000])(
  'a night of %d calls: each is decided and claimed once, in a run or a dry run',
  async (count) => {
    const { database, night, outside } = await nightOf(count);
    const deps = { db: database.db, publisher: recordingPublisher(), logger, vanSyncBatchSize: 20 };

    const dry = await claimRunCalls(deps, runOf(true), config, undefined);
    expect(dry.decided).toBe(count);
    const afterDryRun = await callsCollection(database.db)
      .find({ id: { $in: [...night, ...outside] } }, { projection: { sync_status: 1 } })
      .toArray();
    expect(afterDryRun.filter((c) => c.sync_status !== undefined)).toHaveLength(0);

    const run = runOf(false);
    const summary = await claimRunCalls(deps, run, config, undefined);
    expect(summary.decided).toBe(count);
    const claimed = await callsCollection(database.db)
      .find({ run_id: run.runId }, { projection: { id: 1 } })
      .toArray();
    expect(new Set(claimed.map((c) => c.id)).size).toBe(count);
    const untouched = await callsCollection(database.db)
      .find({ id: { $in: outside } }, { projection: { id: 1, sync_status: 1, run_id: 1 } })
      .toArray();
    expect(untouched.map((c) => [c.id, c.sync_status, c.run_id])).toEqual(
      outside.map((id) => [id, undefined, undefined]),
    );
  },
);
