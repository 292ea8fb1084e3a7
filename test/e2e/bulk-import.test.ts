// The `bulk` strategy end to end, services as processes: the same night of calls synced call by
// call (`full`) and as VAN Bulk Import jobs (`bulk`) ends with the same status for every call,
// the bulk run spending a dozen VAN requests at most; rows VAN refuses carry VAN's row error; and
// a van-writer SIGKILLed while its job is pending resumes that job after a restart, never
// creating a second one, on a VAN whose CanvassResults mapping requires CanvassedBy (filled with
// the key's own user). BULK_E2E_CALLS sets the night's size (2,000 by default; 10,000 is the
// issue's figure). Build first: `npx tsc -b`.

import { SyncStatus, type Call } from '@call-sync/core';
import { Collections } from '@call-sync/platform';
import { SANDBOX_VAN_USER_ID, type VanRequestLogEntry } from '@call-sync/sandbox';
import type { RunDocument } from '@call-sync/store';
import { type ServiceProcess, startServiceProcess, TEST_LAUNCH, waitUntil } from '@call-sync/testkit';
import { freshServiceGroup } from '../support/consumer-groups';
import { createWorld, NOW, runExtractor, waitForRuns, type World } from './pipeline-world';

const CALLS = Number(process.env.BULK_E2E_CALLS ?? 2000);
const SEED = 41;
/** The sandbox's answer for a VAN id it does not have, on a bulk row (sandbox/src/van-bulk-import.ts). */
const UNKNOWN_PERSON = 'The specified person could not be found.';
/** The seed's VAN ids VAN does not know are drawn from 900,000,000 up. */
const UNKNOWN_VAN_IDS_FROM = 900_000_000;

jest.setTimeout(Math.max(300_000, CALLS * 60));

type BulkRun = RunDocument & {
  vanRequestsUsed?: number;
  bulkImport?: { jobs?: { state: string; jobId?: string }[]; calls?: number; requests?: number };
};

interface Synced {
  world: World;
  run: BulkRun;
  calls: Map<string, Call>;
  /** VAN requests from the extraction on (the world's own metadata reads are left out). */
  requests: VanRequestLogEntry[];
  writerStarts: number;
}

const opened: World[] = [];
const processes: ServiceProcess[] = [];

afterAll(async () => {
  for (const child of processes) await child.stop();
  for (const world of opened) await world.close();
});

async function sync(
  strategy: 'full' | 'bulk',
  options: { killWhilePending?: boolean; canvassedByRequired?: boolean } = {},
): Promise<Synced> {
  const world = await createWorld({
    candidates: 1,
    callsPerCandidate: CALLS,
    seed: SEED,
    strategies: [strategy],
  });
  opened.push(world);
  if (options.killWhilePending) world.van.bulkImport.setKnobs({ pendingMs: 8_000 });
  if (options.canvassedByRequired)
    world.van.bulkImport.setKnobs({ requiredFields: [{ mapping: 'CanvassResults', field: 'CanvassedBy' }] });
  const group = await freshServiceGroup(`e2e-bulk-${strategy}`);
  const writerEnv = {
    ...world.env,
    KAFKA_CONSUMER_GROUP: group,
    VAN_BULK_POLL_MIN_MS: '200',
    VAN_BULK_POLL_MAX_MS: '1000',
  };
  const start = async (): Promise<ServiceProcess> => {
    const child = await startServiceProcess('van-writer', writerEnv, TEST_LAUNCH);
    processes.push(child);
    return child;
  };
  let writer = await start();
  let writerStarts = 1;
  const csvWriter = await startServiceProcess(
    'csv-writer',
    {
      ...world.env,
      KAFKA_CONSUMER_GROUP: await freshServiceGroup(`e2e-bulk-${strategy}-csv`),
    },
    TEST_LAUNCH,
  );
  processes.push(csvWriter);
  const logFrom = world.van.requestLog().length;
  const extraction = await runExtractor(world.env, ['extract', '--now', NOW]);
  expect(extraction.code).toBe(0);

  if (options.killWhilePending) {
    const runs = world.mongo.db.collection<BulkRun>(Collections.Runs);
    await waitUntil(async () => (await runs.findOne({}))?.bulkImport?.jobs?.[0]?.state === 'created', {
      timeoutMs: 120_000,
      intervalMs: 50,
      what: () => `a created job (${writer.output().slice(-2000)})`,
    });
    expect(world.van.bulkImport.jobs().map((job) => job.status)).toEqual(['Pending']);
    await writer.stop('SIGKILL');
    writer = await start();
    writerStarts += 1;
  }

  const [run] = (await waitForRuns(world, 1, CALLS * 40 + 120_000).catch((error: unknown) => {
    console.log(writer.output().slice(-3000));
    throw error;
  })) as BulkRun[];
  await writer.stop();
  await csvWriter.stop();
  const calls = await world.mongo.db.collection<Call>(Collections.Calls).find().toArray();
  return {
    world,
    run: run!,
    calls: new Map(calls.map((call) => [call.id, call])),
    requests: world.van.requestLog().slice(logFrom),
    writerStarts,
  };
}

function statuses(synced: Synced): Map<string, SyncStatus | undefined> {
  return new Map([...synced.calls].map(([id, call]) => [id, call.sync_status]));
}

let perCall: Synced;

beforeAll(async () => {
  perCall = await sync('full');
});

test('the per-call run is worth comparing against: it posts, finishes and refuses calls', () => {
  expect(perCall.run.state).toBe('completed');
  const all = [...perCall.calls.values()];
  const posted = all.filter((call) => call.van_request);
  // One VAN request per call sent (plus the metadata reads): what bulk saves.
  expect(perCall.requests.length).toBeGreaterThanOrEqual(posted.length);
  expect(all.some((call) => call.sync_status === SyncStatus.Finished)).toBe(true);
  expect(
    posted.some(
      (call) =>
        call.van_request!.vanId >= UNKNOWN_VAN_IDS_FROM && call.sync_status === SyncStatus.AttemptedError,
    ),
  ).toBe(true);
});

test('a bulk run ends every call as the per-call run did, for a dozen VAN requests at most', async () => {
  const bulk = await sync('bulk');
  expect(bulk.run.state).toBe('completed');
  expect(statuses(bulk)).toEqual(statuses(perCall));

  expect(bulk.requests.length).toBeLessThanOrEqual(12);
  expect(bulk.run.vanRequestsUsed).toBeLessThanOrEqual(12);
  expect(bulk.world.van.bulkImport.jobs()).toHaveLength(1);
  const [job] = bulk.world.van.bulkImport.jobs();

  const sent = [...bulk.calls.values()].filter((call) => call.van_request && call.run_id === bulk.run.runId);
  expect(bulk.run.bulkImport?.calls).toBe(sent.length);
  let refused = 0;
  for (const call of sent) {
    if (call.van_request!.vanId >= UNKNOWN_VAN_IDS_FROM) {
      refused += 1;
      expect(call.sync_status).toBe(SyncStatus.AttemptedError);
      expect(call.error).toBe(UNKNOWN_PERSON);
    } else {
      expect(call.sync_status).toBe(SyncStatus.Finished);
      expect(call.receipt).toMatchObject({ kind: 'van-bulk', jobId: String(job!.jobId) });
    }
  }
  expect(refused).toBeGreaterThan(0);
  console.log(
    `bulk e2e: ${sent.length} calls to VAN in ${bulk.requests.length} VAN requests ` +
      `(${bulk.requests.map((r) => `${r.method} ${r.path}`).join(', ')}); per call: ${perCall.requests.length}`,
  );
});

test('a van-writer killed while its job is pending resumes the same job after a restart', async () => {
  const crashed = await sync('bulk', { killWhilePending: true, canvassedByRequired: true });
  expect(crashed.writerStarts).toBe(2);
  // The seeded key names no user of its own in the fixture: its profile answers the sandbox's.
  expect(crashed.world.van.bulkImport.jobs()[0]!.request.actions[0]!.mappingTypes[0]).toEqual({
    name: 'CanvassResults',
    fieldValueMappings: [{ fieldName: 'CanvassedBy', staticValue: SANDBOX_VAN_USER_ID }],
  });
  expect(crashed.run.state).toBe('completed');
  expect(crashed.world.van.bulkImport.jobs()).toHaveLength(1);
  expect(crashed.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  expect(statuses(crashed)).toEqual(statuses(perCall));
  expect([...crashed.calls.values()].filter((call) => call.outcome_unknown)).toEqual([]);
});
