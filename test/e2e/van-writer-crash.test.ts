// The at-most-once rule under the worst timing: a van-writer SIGKILLed in the middle of a run,
// with posts in flight, then started again. No call may be lost, none posted twice, and the
// run must complete. Calls caught mid-post end `attempted_error` "outcome unknown" for a person
// to check, never re-posted. Build first: `npx tsc -b`.

import { freshServiceGroup } from '../support/consumer-groups';
import { SyncStatus, type Call } from '@call-sync/core';
import { Collections } from '@call-sync/platform';
import { type ServiceProcess, startServiceProcess, TEST_LAUNCH, waitAtMost } from '@call-sync/testkit';
import { createWorld, expectedOutcome, NOW, runExtractor, waitForRuns, type World } from './pipeline-world';

jest.setTimeout(180_000);

let world: World;
let writer: ServiceProcess | undefined;
let csvWriter: ServiceProcess | undefined;

beforeAll(async () => {
  world = await createWorld({ candidates: 1, callsPerCandidate: 1500, seed: 23 });
  // Slow enough that the kill lands with posts in flight.
  world.van.setKnobs({ latencyMs: 25 });
});

afterAll(async () => {
  await writer?.stop();
  await csvWriter?.stop();
  await world?.close();
});

test('a van-writer killed mid-run and restarted loses no call and posts none twice', async () => {
  const env = {
    ...world.env,
    KAFKA_CONSUMER_GROUP: await freshServiceGroup('e2e-crash'),
    VAN_RATE_PER_SECOND: '150',
  };
  writer = await startServiceProcess('van-writer', env, TEST_LAUNCH);
  // Every run that had calls ends with its caller file, which the csv-writer writes.
  csvWriter = await startServiceProcess(
    'csv-writer',
    {
      ...world.env,
      KAFKA_CONSUMER_GROUP: await freshServiceGroup('e2e-crash-csv'),
    },
    TEST_LAUNCH,
  );
  const extraction = await runExtractor(world.env, ['extract', '--now', NOW]);
  expect(extraction.code).toBe(0);

  // The kill comes after 300 posts, or after a minute of fewer: it falls mid-run either way.
  await waitAtMost(() => world.van.journal().length >= 300, { timeoutMs: 60_000, intervalMs: 20 });
  await writer.stop('SIGKILL');
  const postsAtKill = world.van.journal().length;
  writer = await startServiceProcess('van-writer', env, TEST_LAUNCH);

  const [run] = await waitForRuns(world, 1, Number(process.env.E2E_WAIT_MS ?? 150_000)).catch(
    async (error) => {
      const stuck = await world.mongo.db
        .collection<Call>(Collections.Calls)
        .find({ sync_status: SyncStatus.InProgress })
        .toArray();
      console.log(`${stuck.length} calls still in progress`, writer?.output().slice(-3000));
      throw error;
    },
  );
  expect(run!.state).toBe('completed');

  const calls = await world.mongo.db
    .collection<Call>(Collections.Calls)
    .find({ run_id: run!.runId })
    .toArray();
  const journal = world.van.journal();
  const posts = new Map<string, number>();
  for (const entry of journal) {
    const key = entry.path + JSON.stringify(entry.body);
    posts.set(key, (posts.get(key) ?? 0) + 1);
  }
  let outcomeUnknown = 0;
  for (const call of calls) {
    expect(call.sync_status).not.toBe(SyncStatus.InProgress);
    const expected = expectedOutcome(world, call)!;
    if (expected.route !== 'van') {
      expect(call.sync_status).toBe(expected.status);
      continue;
    }
    const count =
      posts.get(
        `/v4/people/${call.van_request!.vanId}/canvassResponses` + JSON.stringify(call.van_request!.body),
      ) ?? 0;
    expect(count).toBeLessThanOrEqual(1);
    if (call.outcome_unknown) {
      expect(call.error).toMatch(/^outcome unknown/);
      outcomeUnknown += 1;
      expect(call.sync_status).toBe(SyncStatus.AttemptedError);
    } else {
      expect(call.sync_status).toBe(expected.status);
      expect(count).toBe(1);
    }
  }
  expect(Math.max(...posts.values())).toBe(1);
  // Only the calls that were in flight at the kill can be unknown.
  expect(outcomeUnknown).toBeLessThanOrEqual(16);
  console.log(
    `crash e2e: ${calls.length} calls, killed after ${postsAtKill} posts, ${journal.length} posts in all, ` +
      `${outcomeUnknown} flagged "outcome unknown", counts ${JSON.stringify(run!.counts)}`,
  );
});
