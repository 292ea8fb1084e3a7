import http from 'node:http';
import type { AddressInfo } from 'node:net';
import yazl from 'yazl';
import { CONTRACT_FIXTURE_PATH, loadFixture, startVanSandbox, type VanSandbox } from '@call-sync/sandbox';
import {
  createDailyRequestBudget,
  createTokenBucket,
  createVanClient,
  findSurveyResponseMapping,
  VanBudgetExhaustedError,
  VanOutcomeUnknownError,
  VanServerError,
  type BulkImportJobRequest,
  type VanClientOptions,
} from '../src';
import { waitForValue } from '@call-sync/testkit';

// The client's Bulk Import methods against the VAN sandbox.

const fixture = loadFixture(CONTRACT_FIXTURE_PATH).van;
const voterKey = fixture.keys[0]!;

const HEADER = 'VanID,ContactTypeID,DateCanvassed,ResultID\n';
function zipOf(text: string): Promise<Buffer> {
  return new Promise<Buffer>((resolve) => {
    const file = new yazl.ZipFile();
    file.addBuffer(Buffer.from(text), 'f.csv');
    file.end();
    const chunks: Buffer[] = [];
    file.outputStream.on('data', (c: Buffer) => chunks.push(c));
    file.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

let van: VanSandbox;
let fileServer: http.Server;
let fileUrl = '';
let zipped: Buffer = Buffer.alloc(0);
const seenAuthorization: (string | undefined)[] = [];

beforeAll(async () => {
  van = await startVanSandbox({ fixture, bulkImport: { pendingMs: 1000, processingMs: 300 } });
  fileServer = http.createServer((req, res) => {
    seenAuthorization.push(req.headers.authorization);
    res.end(zipped);
  });
  await new Promise<void>((resolve) => fileServer.listen(0, '127.0.0.1', resolve));
  fileUrl = `http://127.0.0.1:${(fileServer.address() as AddressInfo).port}/file.zip`;
  zipped = await zipOf(`${HEADER}100001,1,2026-10-25,18\n5,1,2026-10-25,18\n`);
});
afterAll(async () => {
  await van.close();
  await new Promise((resolve) => fileServer.close(resolve));
});
beforeEach(() => van.reset());

/** Polls the job as the writer does until VAN calls it final. */
function finalJob(van4: ReturnType<typeof client>, jobId: string) {
  return waitForValue(
    async () => {
      const job = await van4.getBulkImportJob(jobId);
      return job.final ? job : undefined;
    },
    { intervalMs: 30, what: `bulk-import job ${jobId} final` },
  );
}

function client(overrides: Partial<VanClientOptions> = {}) {
  return createVanClient({
    baseUrl: van.url,
    applicationName: voterKey.applicationName,
    apiKey: voterKey.apiKey,
    mode: 0,
    timeoutMs: 2000,
    rateLimiter: createTokenBucket(1000, 50),
    retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 200 },
    ...overrides,
  });
}

const request = (): BulkImportJobRequest => ({
  file: {
    fileName: 'f.csv',
    hasHeader: true,
    hasQuotes: true,
    sourceUrl: fileUrl,
    columns: ['VanID', 'ContactTypeID', 'DateCanvassed', 'ResultID'].map((name) => ({ name })),
    columnDelimiter: 'Csv',
  },
  actions: [
    {
      resultFileSizeKbLimit: 5000,
      resourceType: 'Contacts',
      actionType: 'loadMappedFile',
      mappingTypes: [{ name: 'CanvassResults' }],
    },
  ],
});

test('finds the survey response mapping by its fields, creates a job, polls it and reads its results', async () => {
  const budget = createDailyRequestBudget(100);
  const van4 = client({ budget });
  const types = await van4.bulkImportMappingTypes();
  expect(findSurveyResponseMapping(types)?.name).toBe('ApplySurveyResponse');

  const { jobId } = await van4.createBulkImportJob(request());
  expect(await van4.getBulkImportJob(jobId)).toMatchObject({
    jobId,
    status: 'Pending',
    final: false,
    resultFiles: [],
  });
  const job = await finalJob(van4, jobId);
  expect(job.status).toBe('CompletedWithErrors');
  const rows = await van4.readBulkImportResults(job.resultFiles[0]!.url);
  expect(rows).toEqual([
    { row: 1, primaryKey: '100001', errors: [] },
    { row: 2, primaryKey: '5', errors: ['The specified person could not be found.'] },
  ]);
  // Neither VAN's file download nor ours carries the key.
  expect(seenAuthorization.every((header) => header === undefined)).toBe(true);
  const polls = van.requestLog().filter((e) => e.path === `/v4/bulkImportJobs/${jobId}`).length;
  // mapping types + create + polls + the results file, each one request of the day's budget.
  expect(await budget.remaining()).toBe(100 - (1 + 1 + polls + 1));
});

test('"Complete" reads as Completed; a spent budget stops the request before it is sent', async () => {
  van.bulkImport.setKnobs({ completedStatus: 'Complete' });
  const all = zipped;
  zipped = await zipOf(`${HEADER}100001,1,2026-10-25,18\n`);
  const van4 = client();
  const { jobId } = await van4.createBulkImportJob(request());
  const job = await finalJob(van4, jobId);
  zipped = all;
  expect(job.status).toBe('Completed');

  const spent = client({ budget: createDailyRequestBudget(0) });
  await expect(spent.createBulkImportJob(request())).rejects.toBeInstanceOf(VanBudgetExhaustedError);
  expect(van.bulkImport.jobs()).toHaveLength(1);
});

test('a 5xx on job creation is an unknown outcome (a job may exist), never retried', async () => {
  van.failNextRequests(1, '5xx', 'POST');
  await expect(client().createBulkImportJob(request())).rejects.toBeInstanceOf(VanOutcomeUnknownError);
  expect(van.requestLog().filter((e) => e.method === 'POST')).toHaveLength(1);
});

test('an expired results link is an error that does not show the link', async () => {
  van.bulkImport.setKnobs({ resultLinkTtlMs: 0 });
  const van4 = client();
  const { jobId } = await van4.createBulkImportJob(request());
  const job = await finalJob(van4, jobId);
  await new Promise((resolve) => setTimeout(resolve, 5));
  const error = await van4.readBulkImportResults(job.resultFiles[0]!.url).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(VanServerError);
  expect((error as Error).message).not.toContain('bulk-import-results');
});
