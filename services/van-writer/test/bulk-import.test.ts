import { MongoNetworkError, type Db, type Document } from 'mongodb';
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
import { waitUntil } from '@call-sync/testkit';
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

function deps(overrides: Partial<BulkImportDeps> = {}, client: { timeoutMs?: number } = {}): BulkImportDeps {
  const access = world.vanAccess(1000, undefined, client);
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

/** VAN ids the sandbox applied more than once, over every Bulk Import job it received. */
function appliedTwice(): number[] {
  const applied = new Map<number, number>();
  for (const entry of van.journal()) {
    if (entry.bulk && entry.vanId !== null) applied.set(entry.vanId, (applied.get(entry.vanId) ?? 0) + 1);
  }
  return [...applied].filter(([, times]) => times > 1).map(([vanId]) => vanId);
}

const appliedRows = (): number => van.journal().filter((entry) => entry.bulk).length;

/**
 * The test database, except that writes for which `fails` says so fail as they do when MongoDB
 * goes away (each update of the named collections is asked, with its update).
 */
function failingWrites(collections: string[], fails: (update: Document) => boolean): Db {
  const wrap = <T extends object>(target: T, trap: (name: PropertyKey, value: unknown) => unknown): T =>
    new Proxy(target, {
      get(t, name) {
        const value: unknown = Reflect.get(t, name);
        const bound = typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
        return trap(name, bound);
      },
    });
  return wrap(db, (name, value) => {
    if (name !== 'collection') return value;
    return (which: string, ...rest: unknown[]) => {
      const real = (value as (...a: unknown[]) => object)(which, ...rest);
      if (!collections.includes(which)) return real;
      return wrap(real, (method, write) => {
        if (method !== 'updateOne' && method !== 'updateMany') return write;
        return async (filter: Document, update: Document, ...options: unknown[]) => {
          if (fails(update)) throw new MongoNetworkError('connection 7 to mongodb closed');
          return (write as (...a: unknown[]) => Promise<unknown>)(filter, update, ...options);
        };
      });
    };
  });
}

/** Every call of the run as a person will find it: outcome unknown, with the reason. */
async function expectOutcomeUnknown(ids: string[], why: string): Promise<void> {
  const calls = [...(await outcomes(ids)).values()];
  expect(calls).toHaveLength(ids.length);
  for (const call of calls) {
    expect({ status: call.sync_status, unknown: call.outcome_unknown, error: call.error }).toEqual({
      status: SyncStatus.AttemptedError,
      unknown: true,
      error: `outcome unknown — check VAN before replaying (the Bulk Import job may have been created: ${why})`,
    });
  }
}

/** Delivers the run's message again, then tries to claim its calls for a later run: neither sends them. */
async function attemptAgain(runId: string, candidate: string, ids: string[]): Promise<void> {
  await runBulkImport(deps(), { v: 1, runId, candidate });
  await runBulkImport(deps(), { v: 1, runId, candidate });
  const claimed = await claimCalls(
    db,
    `${runId}-later`,
    ids.map((callId) => ({ callId, status: SyncStatus.InProgress })),
  );
  expect(claimed.size).toBe(0);
}

/** Once VAN has finished: it received one job, and applied each of its `rows` rows once. */
async function expectOneJobAppliedOnce(rows: number): Promise<void> {
  await waitUntil(
    async () =>
      van.bulkImport
        .jobs()
        .every((job) => ['Completed', 'CompletedWithErrors', 'Failed'].includes(job.status)),
    { timeoutMs: 20_000, what: "the sandbox's jobs final" },
  );
  expect(van.bulkImport.jobs()).toHaveLength(1);
  expect(appliedRows()).toBe(rows);
  expect(appliedTwice()).toEqual([]);
}

test('a job creation VAN does not answer in time leaves its calls outcome unknown, applied once', async () => {
  const { runId, candidate, ids } = await bulkRun(10);
  // VAN creates the job 2.5 s after the request, when the writer has given up after 1 s.
  van.setKnobs({ timeoutAnswerAfterMs: 2500 });
  van.failNextRequests(1, 'timeout', 'POST');
  await runBulkImport(deps({}, { timeoutMs: 1000 }), { v: 1, runId, candidate });
  await expectOutcomeUnknown(ids, 'VAN did not answer the creation in time');
  expect((await findRun(db, runId))!.state).toBe(RunState.Exporting);

  await waitUntil(async () => van.bulkImport.jobs().length === 1, {
    timeoutMs: 10_000,
    what: 'the job VAN created after the timeout',
  });
  await attemptAgain(runId, candidate, ids);
  // Kinds 0-2 of plan() are applied: 6 of the 10 calls.
  await expectOneJobAppliedOnce(6);
  await expectOutcomeUnknown(ids, 'VAN did not answer the creation in time');
});

test('a job creation VAN answers with a 5xx leaves its calls outcome unknown, never sent again', async () => {
  const { runId, candidate, ids } = await bulkRun(10);
  van.failNextRequests(1, '5xx', 'POST');
  await runBulkImport(deps(), { v: 1, runId, candidate });
  await expectOutcomeUnknown(ids, 'VAN answered the creation with 500');
  await attemptAgain(runId, candidate, ids);
  expect(van.requestLog().filter((r) => r.path === '/v4/bulkImportJobs')).toHaveLength(1);
  expect(appliedRows()).toBe(0);
});

test('MongoDB failing to record a created job leaves its calls outcome unknown, applied once', async () => {
  const { runId, candidate, ids } = await bulkRun(10);
  let failures = 0;
  const flaky = failingWrites(['runs'], (update) => {
    const fails = failures === 0 && update.$set?.['bulkImport.jobs.0.jobId'] !== undefined;
    if (fails) failures += 1;
    return fails;
  });
  await runBulkImport(deps({ db: flaky }), { v: 1, runId, candidate });
  expect(failures).toBe(1);
  const [job] = van.bulkImport.jobs();
  const why = `VAN created job ${job!.jobId}; recording it or its request failed: connection 7 to mongodb closed`;
  await expectOutcomeUnknown(ids, why);
  expect((await readRunBulkImport(db, runId))!.jobs[0]).toMatchObject({
    state: 'done',
    jobId: String(job!.jobId),
    error: why,
  });

  await attemptAgain(runId, candidate, ids);
  await expectOneJobAppliedOnce(6);
});

test('MongoDB failing to count the creation request leaves its calls outcome unknown', async () => {
  const { runId, candidate, ids } = await bulkRun(10);
  const flaky = failingWrites(
    ['runs'],
    (update) => van.bulkImport.jobs().length > 0 && update.$inc?.['bulkImport.requests'] !== undefined,
  );
  await runBulkImport(deps({ db: flaky }), { v: 1, runId, candidate });
  const [job] = van.bulkImport.jobs();
  await expectOutcomeUnknown(
    ids,
    `VAN created job ${job!.jobId}; recording it or its request failed: connection 7 to mongodb closed`,
  );
  await attemptAgain(runId, candidate, ids);
  await expectOneJobAppliedOnce(6);
});

test('MongoDB gone once the job is created: the next delivery flags its calls, applied once', async () => {
  const { runId, candidate, ids } = await bulkRun(10);
  const down = failingWrites(['runs', 'calls'], () => van.bulkImport.jobs().length > 0);
  await expect(runBulkImport(deps({ db: down }), { v: 1, runId, candidate })).rejects.toThrow(
    'connection 7 to mongodb closed',
  );
  expect((await readRunBulkImport(db, runId))!.jobs[0]!.state).toBe('creating');

  await attemptAgain(runId, candidate, ids);
  await expectOutcomeUnknown(
    ids,
    'the creation was sent and its answer never recorded (a writer stopped, or MongoDB failed)',
  );
  await expectOneJobAppliedOnce(6);
});

test('a refusal VAN answers before creating the job frees its calls for the next run', async () => {
  const { runId, candidate, ids } = await bulkRun(10);
  const base = deps();
  const access = (await base.vanAccessFor(candidate))!;
  // VAN switches ActivistCode off between the run's mapping check and its job.
  const client: typeof access.client = {
    ...access.client,
    createBulkImportJob: (request) => {
      van.bulkImport.setKnobs({ disabledMappings: [{ key: key.apiKey, mapping: 'ActivistCode' }] });
      return access.client.createBulkImportJob(request);
    },
  };
  await runBulkImport(
    { ...base, vanAccessFor: async () => ({ ...access, client }) },
    { v: 1, runId, candidate },
  );
  const run = await findRun(db, runId);
  expect(run!.state).toBe(RunState.Failed);
  expect(run!.error).toBe(
    "VAN refused Bulk Import job 1 of 1: The mapping type 'ActivistCode' is not available for this API key.",
  );
  const calls = [...(await outcomes(ids)).values()];
  expect(calls.map((c) => [c.sync_status, c.posting_started_at, c.outcome_unknown])).toEqual(
    ids.map(() => [undefined, undefined, undefined]),
  );
  expect(van.bulkImport.jobs()).toHaveLength(0);
});

test("a VAN whose CanvassResults requires CanvassedBy takes the job, canvassed by the key's user", async () => {
  van.bulkImport.setKnobs({ requiredFields: [{ mapping: 'CanvassResults', field: 'CanvassedBy' }] });
  const { runId, candidate, calls, ids } = await bulkRun(10);
  await runBulkImport(deps(), { v: 1, runId, candidate });

  const [job] = van.bulkImport.jobs();
  expect(job!.request.actions[0]!.mappingTypes[0]).toEqual({
    name: 'CanvassResults',
    fieldValueMappings: [{ fieldName: 'CanvassedBy', staticValue: 51001 }],
  });
  const byId = await outcomes(ids);
  expect(ids.map((id) => byId.get(id)!.sync_status)).toEqual(calls.map((c) => c.expected.status));
  const rows = van.journal().filter((entry) => entry.bulk);
  expect(rows).toHaveLength(6);
  for (const row of rows)
    expect((row.body as { canvassContext: { canvassedBy?: number } }).canvassContext.canvassedBy).toBe(51001);
  expect(van.requestLog().filter((r) => r.path === '/v4/apiKeyProfiles')).toHaveLength(1);
});

test('a required field the run cannot fill fails the run naming it, before any job', async () => {
  van.bulkImport.setKnobs({ requiredFields: [{ mapping: 'CanvassResults', field: 'PhoneTypeID' }] });
  const { runId, candidate, ids } = await bulkRun(5);
  await runBulkImport(deps(), { v: 1, runId, candidate });
  const run = await findRun(db, runId);
  expect(run!.state).toBe(RunState.Failed);
  expect(run!.error).toBe(
    'VAN Bulk Import fields required that the run cannot fill: PhoneTypeID (CanvassResults) — ' +
      'ask VAN about these fields, or list the candidate in VAN_BULK_FALLBACK_CANDIDATES',
  );
  expect(van.bulkImport.jobs()).toHaveLength(0);
  const calls = [...(await outcomes(ids)).values()];
  expect(calls.every((c) => c.sync_status === undefined)).toBe(true);
});
