import type { Db } from 'mongodb';
import { emptyRunCounts, RunState, SyncStatus, type Call, type VanCanvassRequest } from '@call-sync/core';
import { createLogger, createS3Client, ensureBucket, type Publisher } from '@call-sync/platform';
import {
  callsCollection,
  claimCalls,
  findRun,
  newRunDocument,
  readRunBulkImport,
  runsCollection,
} from '@call-sync/store';
import { CONTRACT_FIXTURE_PATH, loadFixture, type VanSandbox } from '@call-sync/sandbox';
import { serverEnv, uniqueName } from '../../../test/support/env';
import { waitUntil } from '../../../test/support/wait';
import { runBulkImport, type BulkImportDeps } from '../src/bulk-import';
import { startVanWriterWorld, type VanWriterWorld } from './support/van-writer-world';

// The bulk job runner on real MongoDB, Kafka, the SeaweedFS S3 server (VAN downloads the file
// through a presigned link) and the VAN sandbox's Bulk Import.

const logger = createLogger('van-writer-bulk-test', 'silent');
const key = loadFixture(CONTRACT_FIXTURE_PATH).van.keys[0]!;

let world: VanWriterWorld;
let van: VanSandbox;
let db: Db;
let publisher: Publisher;
let bucket: string;

beforeAll(async () => {
  world = await startVanWriterWorld('van-writer-bulk', {
    sandbox: { bulkImport: { pendingMs: 100, processingMs: 300 } },
  });
  ({ van, db, publisher } = world);
  bucket = uniqueName('bulk').toLowerCase();
  await ensureBucket(s3(), bucket);
});

afterAll(() => world.close());
beforeEach(() => van.reset());

function s3() {
  const env = serverEnv().s3;
  return createS3Client({ ...env, forcePathStyle: true });
}

function deps(overrides: Partial<BulkImportDeps> = {}): BulkImportDeps {
  const access = world.vanAccess(1000);
  return {
    db,
    logger,
    publisher,
    s3: s3(),
    publicS3: s3(),
    vanAccessFor: async () => access,
    settings: {
      bucket,
      linkSeconds: 600,
      maxZipBytes: 20 * 1024 * 1024,
      maxRowsPerJob: 100_000,
      pollMinMs: 100,
      pollMaxMs: 400,
      fallbackCandidates: [],
      vanSyncBatchSize: 20,
    },
    ...overrides,
  };
}

const context = (minute: number) => ({
  contactTypeId: 1,
  inputTypeId: 11,
  dateCanvassed: `2026-10-20T18:${String(minute % 60).padStart(2, '0')}:00-04:00`,
  phone: { dialingPrefix: '1', phoneNumber: '9195550101' },
  skipMatching: true,
});

/** What each call is, and what VAN must answer for it (written down, not computed by the runner). */
interface Planned {
  vanId: number;
  body: VanCanvassRequest;
  expected: { status: SyncStatus; error?: string };
}

function plan(i: number): Planned {
  const kind = i % 5;
  if (kind === 0)
    return {
      vanId: 100_000 + i,
      body: { canvassContext: context(i), resultCodeId: 18 },
      expected: { status: SyncStatus.Finished },
    };
  if (kind === 1)
    return {
      vanId: 100_000 + i,
      body: {
        canvassContext: { ...context(i), omitActivistCodeContactHistory: true },
        responses: [
          { type: 'SurveyResponse', surveyQuestionId: 101, surveyResponseId: 1011 },
          { type: 'SurveyResponse', surveyQuestionId: 102, surveyResponseId: 1021 },
          { type: 'ActivistCode', activistCodeId: 201, action: 'Apply' },
        ],
      },
      expected: { status: SyncStatus.Finished },
    };
  if (kind === 2)
    return {
      vanId: 100_000 + i,
      body: {
        canvassContext: context(i),
        responses: [{ type: 'ActivistCode', activistCodeId: 202, action: 'Apply' }],
      },
      expected: { status: SyncStatus.Finished },
    };
  if (kind === 3)
    return {
      vanId: 7, // not a person of the fixture
      body: { canvassContext: context(i), resultCodeId: 1 },
      expected: { status: SyncStatus.AttemptedError, error: 'The specified person could not be found.' },
    };
  return {
    vanId: 100_000 + i,
    body: {
      canvassContext: context(i),
      responses: [{ type: 'ActivistCode', activistCodeId: 9999, action: 'Apply' }],
    },
    expected: {
      status: SyncStatus.AttemptedError,
      error: "'ActivistCodeID' must be a valid activist code in the current context.",
    },
  };
}

async function bulkRun(
  count: number,
): Promise<{ runId: string; candidate: string; calls: Planned[]; ids: string[] }> {
  const candidate = uniqueName('bulk-candidate');
  const run = {
    ...newRunDocument({
      candidate,
      trigger: 'schedule',
      window: { start: new Date('2026-10-20T04:00:00Z'), end: new Date('2026-10-21T04:00:00Z') },
      scheduledAt: new Date('2026-10-21T02:00:00Z'),
    }),
    state: RunState.Writing,
    strategy: 'bulk' as const,
    startedAt: new Date(),
    callsClaimed: count,
    counts: { ...emptyRunCounts(), [SyncStatus.InProgress]: count },
  };
  await runsCollection(db).insertOne(run);
  const calls = Array.from({ length: count }, (_, i) => plan(i));
  const ids = calls.map((_, i) => `${candidate}-${String(i).padStart(5, '0')}`);
  await callsCollection(db).insertMany(
    ids.map((id, i): Call => {
      const at = new Date(Date.parse('2026-10-20T20:00:00Z') + i * 1000);
      return {
        id,
        account_number: `nc05-van-${calls[i]!.vanId}`,
        district: 'nc05',
        system_id: 'van',
        voter_id: String(calls[i]!.vanId),
        first_name: 'Ada',
        last_name: 'Lovelace',
        phone_dialed: '9195550101',
        start_time: at,
        timestamp: at,
        caller_login: 'vol_ana',
        lv_result: 'X',
        full_on_screen_result: 'x',
      };
    }),
  );
  await claimCalls(
    db,
    run.runId,
    ids.map((callId, i) => ({
      callId,
      status: SyncStatus.InProgress,
      vanRequest: { vanId: calls[i]!.vanId, body: calls[i]!.body },
    })),
  );
  return { runId: run.runId, candidate, calls, ids };
}

async function outcomes(ids: string[]): Promise<Map<string, Call>> {
  const found = await callsCollection(db)
    .find({ id: { $in: ids } })
    .toArray();
  return new Map(found.map((c) => [c.id, c]));
}

test('a bulk run sends its calls in one job and sets every call from its row', async () => {
  const { runId, candidate, calls, ids } = await bulkRun(200);
  van.bulkImport.setKnobs({ omitResultRows: [3] });
  await runBulkImport(deps(), { v: 1, runId, candidate });

  const jobs = van.bulkImport.jobs();
  expect(jobs).toHaveLength(1);
  expect(jobs[0]!.rows).toBe(200);
  const byId = await outcomes(ids);
  ids.forEach((id, i) => {
    const call = byId.get(id)!;
    const row = i + 1; // the file is written oldest first
    if (row === 3) {
      expect(call.sync_status).toBe(SyncStatus.AttemptedError);
      expect(call.error).toBe(`not in VAN's results (Bulk Import job ${jobs[0]!.jobId}, row 3)`);
      return;
    }
    expect({ status: call.sync_status, error: call.error }).toEqual({
      status: calls[i]!.expected.status,
      error: calls[i]!.expected.error,
    });
    if (call.sync_status === SyncStatus.Finished)
      expect(call.receipt).toEqual({ kind: 'van-bulk', jobId: String(jobs[0]!.jobId), row });
  });
  // One journal entry per applied row: the finished calls, nothing else.
  const finished = [...byId.values()].filter((c) => c.sync_status === SyncStatus.Finished).length;
  expect(finished).toBe(200 - 40 - 40 - 1);
  expect(van.journal().filter((e) => e.bulk?.jobId === jobs[0]!.jobId)).toHaveLength(finished);

  const run = await findRun(db, runId);
  const bulk = await readRunBulkImport(db, runId);
  const vanRequests = van.requestLog().filter((e) => e.path.startsWith('/v4/')).length;
  expect(bulk).toMatchObject({ prepared: true, calls: 200, surveyMapping: 'ApplySurveyResponse' });
  // The results file download is counted as well (it spends the budget like any request).
  expect(bulk!.requests).toBe(vanRequests + 1);
  expect(run!.vanRequestsUsed).toBe(vanRequests + 1);
  expect(vanRequests).toBeLessThanOrEqual(8);
  // Every call settled: the run waits only for its caller file.
  expect(run!.state).toBe(RunState.Exporting);
});

test('a writer stopped while the job is pending resumes polling the same job', async () => {
  const { runId, candidate, ids } = await bulkRun(50);
  van.bulkImport.setKnobs({ pendingMs: 1500 });
  const stopping = new AbortController();
  const first = runBulkImport(deps({ signal: stopping.signal }), { v: 1, runId, candidate });
  await waitUntil(async () => !!(await readRunBulkImport(db, runId))?.jobs?.[0]?.jobId, {
    timeoutMs: 20_000,
    what: 'the bulk-import job recorded on the run',
  });
  stopping.abort();
  await expect(first).rejects.toThrow(/shutting down/);
  expect(van.bulkImport.jobs()[0]!.status).toBe('Pending');

  await runBulkImport(deps(), { v: 1, runId, candidate });
  expect(van.bulkImport.jobs()).toHaveLength(1);
  const settled = [...(await outcomes(ids)).values()].filter((c) => c.sync_status !== SyncStatus.InProgress);
  expect(settled).toHaveLength(50);
});

test('a job VAN fails outright fails the run with the reason and frees its calls for the next run', async () => {
  const { runId, candidate, ids } = await bulkRun(10);
  van.bulkImport.setKnobs({ failNextJobs: 1 });
  await runBulkImport(deps(), { v: 1, runId, candidate });
  const run = await findRun(db, runId);
  expect(run!.state).toBe(RunState.Failed);
  expect(run!.error).toBe(
    `VAN Bulk Import job ${van.bulkImport.jobs()[0]!.jobId} failed: The bulk import job could not be completed.`,
  );
  const calls = [...(await outcomes(ids)).values()];
  expect(calls.every((c) => c.sync_status === undefined && c.posting_started_at === undefined)).toBe(true);
});

test('a mapping the key lacks fails the run naming it, or falls back to per-call posting', async () => {
  van.bulkImport.setKnobs({ disabledMappings: [{ key: key.apiKey, mapping: 'ActivistCode' }] });
  const refused = await bulkRun(5);
  await runBulkImport(deps(), { v: 1, runId: refused.runId, candidate: refused.candidate });
  const run = await findRun(db, refused.runId);
  expect(run!.state).toBe(RunState.Failed);
  expect(run!.error).toMatch(/^VAN Bulk Import mapping not enabled for this key: ActivistCode — /);
  expect(van.bulkImport.jobs()).toHaveLength(0);

  const falling = await bulkRun(5);
  const base = deps();
  await runBulkImport(
    { ...base, settings: { ...base.settings, fallbackCandidates: [falling.candidate] } },
    { v: 1, runId: falling.runId, candidate: falling.candidate },
  );
  expect((await findRun(db, falling.runId))!.state).toBe(RunState.Writing);
  expect((await readRunBulkImport(db, falling.runId))?.fallback).toBe('per-call');
  expect(van.bulkImport.jobs()).toHaveLength(0);
});
