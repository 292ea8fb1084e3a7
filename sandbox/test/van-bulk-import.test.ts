import http from 'node:http';
import type { AddressInfo } from 'node:net';
import yazl from 'yazl';
import { CONTRACT_FIXTURE_PATH, loadFixture } from '../src/fixture';
import { startVanSandbox, type VanSandbox } from '../src/van-sandbox';
import { waitForValue } from '@call-sync/testkit';

// The sandbox's Bulk Import, through its HTTP API: the file is served by a plain local server
// (the end-to-end test serves it from S3 with a presigned URL instead).

const fixture = loadFixture(CONTRACT_FIXTURE_PATH).van;
const voterKey = fixture.keys[0]!;
const AUTH = `Basic ${Buffer.from(`${voterKey.applicationName}:${voterKey.apiKey}|0`).toString('base64')}`;

let van: VanSandbox;
let fileServer: http.Server;
let fileUrl = '';
let served: Buffer = Buffer.alloc(0);

function zip(text: string): Promise<Buffer> {
  return new Promise((resolve) => {
    const file = new yazl.ZipFile();
    file.addBuffer(Buffer.from(text), 'rows.csv');
    file.end();
    const chunks: Buffer[] = [];
    file.outputStream.on('data', (c: Buffer) => chunks.push(c));
    file.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

beforeAll(async () => {
  van = await startVanSandbox({ fixture, bulkImport: { pendingMs: 1000, processingMs: 1000 } });
  fileServer = http.createServer((_req, res) => res.end(served));
  await new Promise<void>((resolve) => fileServer.listen(0, '127.0.0.1', resolve));
  fileUrl = `http://127.0.0.1:${(fileServer.address() as AddressInfo).port}/rows.zip`;
});
afterAll(async () => {
  await van.close();
  await new Promise((resolve) => fileServer.close(resolve));
});
beforeEach(() => van.reset());

async function call(path: string, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${van.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

const COLUMNS = ['VanID', 'ContactTypeID', 'DateCanvassed', 'ResultID', 'SQ1', 'SR1', 'AC1'];
const jobBody = (mappingTypes: unknown[] = MAPPINGS) => ({
  description: 'call-sync test',
  file: {
    fileName: 'rows.csv',
    hasHeader: true,
    hasQuotes: true,
    sourceUrl: fileUrl,
    columns: COLUMNS.map((name) => ({ name })),
    columnDelimiter: 'Csv',
  },
  actions: [
    { resultFileSizeKbLimit: 5000, resourceType: 'Contacts', actionType: 'loadMappedFile', mappingTypes },
  ],
});
const MAPPINGS = [
  { name: 'CanvassResults' },
  {
    name: 'ApplySurveyResponse',
    fieldValueMappings: [
      { fieldName: 'SurveyQuestionID', columnName: 'SQ1' },
      { fieldName: 'SurveyResponseID', columnName: 'SR1' },
    ],
  },
  { name: 'ActivistCode', fieldValueMappings: [{ fieldName: 'ActivistCodeID', columnName: 'AC1' }] },
];

async function waitForFinal(
  jobId: number,
): Promise<{ status: string; resultFiles: { url: string; dateExpired: string }[]; errors: unknown[] }> {
  const seen: string[] = [];
  return waitForValue(
    async () => {
      const { json } = await call(`/v4/bulkImportJobs/${jobId}`);
      seen.push(json.status);
      const final = ['Completed', 'Complete', 'CompletedWithErrors', 'Failed'].includes(json.status);
      return final ? { ...json, seen } : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 25, what: () => `job ${jobId} ending (seen ${seen.join(',')})` },
  );
}

describe('VAN sandbox bulk import', () => {
  test('names the mappings a key may use, and one can be switched off for a key', async () => {
    const all = await call('/v4/bulkImportMappingTypes');
    expect(all.status).toBe(200);
    const names = (all.json as { name: string }[]).map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['CanvassResults', 'ActivistCode', 'ApplySurveyResponse']));
    const survey = (all.json as { name: string; fields: { name: string }[] }[]).find(
      (m) => m.name === 'ApplySurveyResponse',
    );
    expect(survey?.fields.map((f) => f.name)).toEqual(
      expect.arrayContaining(['SurveyQuestionID', 'SurveyResponseID']),
    );

    van.bulkImport.setKnobs({ disabledMappings: [{ key: voterKey.apiKey, mapping: 'ApplySurveyResponse' }] });
    const fewer = (await call('/v4/bulkImportMappingTypes')).json as { name: string }[];
    expect(fewer.map((m) => m.name)).not.toContain('ApplySurveyResponse');
    expect(fewer.map((m) => m.name)).toContain('CanvassResults');
    const refused = await call('/v4/bulkImportJobs', { method: 'POST', body: jobBody() });
    expect(refused.status).toBe(400);
    expect(refused.json.errors[0].text).toBe(
      "The mapping type 'ApplySurveyResponse' is not available for this API key.",
    );
    expect(van.bulkImport.jobs()).toHaveLength(0);
  });

  test('a job downloads the zipped file, goes Pending → InProgress → CompletedWithErrors, and reports each row', async () => {
    served = await zip(
      [
        COLUMNS.join(','),
        '100001,1,2026-10-25T18:00:00-04:00,18,,,', // a result code
        '100002,1,2026-10-25T18:01:00-04:00,,101,1011,201', // survey response and activist code
        '99,1,2026-10-25T18:02:00-04:00,18,,,', // no such person
        '100003,1,2026-10-25T18:03:00-04:00,,101,9999,', // not a response of question 101
        '100004,1,2026-10-25T18:04:00-04:00,,,,202',
      ].join('\n'),
    );
    const created = await call('/v4/bulkImportJobs', { method: 'POST', body: jobBody() });
    expect(created.status).toBe(201);
    const jobId = created.json.jobId as number;
    expect((await call(`/v4/bulkImportJobs/${jobId}`)).json.status).toBe('Pending');
    const final = await waitForFinal(jobId);
    expect((final as unknown as { seen: string[] }).seen).toContain('InProgress');
    expect(final.status).toBe('CompletedWithErrors');
    expect(final.resultFiles).toHaveLength(1);

    const results = await (await fetch(final.resultFiles[0]!.url)).text();
    expect(results.trim().split('\n')).toEqual([
      'BulkUploadDataID,ULFileID,PrimaryKey,PrimaryKeyType,CanvassResults,ApplySurveyResponse,ActivistCode',
      `1,${jobId},100001,VanID,Processed,,`,
      `2,${jobId},100002,VanID,,Processed,Processed`,
      `3,${jobId},99,VanID,The specified person could not be found.,The specified person could not be found.,The specified person could not be found.`,
      `4,${jobId},100003,VanID,,'SurveyResponseID' must be a valid response to survey question 101.,`,
      `5,${jobId},100004,VanID,,,Processed`,
    ]);

    const bulkRows = van.journal().filter((entry) => entry.method === 'BULK');
    expect(bulkRows.map((entry) => [entry.vanId, entry.bulk?.row])).toEqual([
      [100001, 1],
      [100002, 2],
      [100004, 5],
    ]);
    expect(bulkRows[1]?.body).toMatchObject({
      responses: [
        { type: 'SurveyResponse', surveyQuestionId: 101, surveyResponseId: 1011 },
        { type: 'ActivistCode', activistCodeId: 201, action: 'Apply' },
      ],
    });
    // Every bulk request went through the VAN front door and is in the request log.
    const logged = van.requestLog().filter((entry) => entry.path.startsWith('/v4/bulkImport'));
    expect(logged[0]).toMatchObject({ method: 'POST', path: '/v4/bulkImportJobs', status: 201 });
    expect(logged.length).toBeGreaterThanOrEqual(3);
  });

  test('results links expire, rows can be left out, and a job can fail outright', async () => {
    served = await zip(
      [
        COLUMNS.join(','),
        '100001,1,2026-10-25T18:00:00-04:00,18,,,',
        '100002,1,2026-10-25T18:00:00-04:00,19,,,',
      ].join('\n'),
    );
    van.bulkImport.setKnobs({ resultLinkTtlMs: 1000, omitResultRows: [2], completedStatus: 'Complete' });
    const { jobId } = (await call('/v4/bulkImportJobs', { method: 'POST', body: jobBody() })).json as {
      jobId: number;
    };
    const final = await waitForFinal(jobId);
    expect(final.status).toBe('Complete');
    const link = final.resultFiles[0]!.url;
    expect((await (await fetch(link)).text()).trim().split('\n')).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await fetch(link)).status).toBe(403);
    // A new status read hands out a new link.
    const again = (await call(`/v4/bulkImportJobs/${jobId}`)).json as { resultFiles: { url: string }[] };
    expect((await fetch(again.resultFiles[0]!.url)).status).toBe(200);

    van.bulkImport.setKnobs({ failNextJobs: 1 });
    const failing = (await call('/v4/bulkImportJobs', { method: 'POST', body: jobBody() })).json as {
      jobId: number;
    };
    const failed = await waitForFinal(failing.jobId);
    expect(failed.status).toBe('Failed');
    expect(failed.resultFiles).toEqual([]);
    expect(van.journal().filter((e) => e.bulk?.jobId === failing.jobId)).toEqual([]);
  });

  test("a VAN requiring CanvassedBy refuses a job without it and takes the key's own user", async () => {
    van.bulkImport.setKnobs({ requiredFields: [{ mapping: 'CanvassResults', field: 'CanvassedBy' }] });
    const types = (await call('/v4/bulkImportMappingTypes')).json as {
      name: string;
      fields: { name: string; isRequired: boolean }[];
    }[];
    const canvassResults = types.find((type) => type.name === 'CanvassResults')!;
    expect(canvassResults.fields.find((f) => f.name === 'CanvassedBy')?.isRequired).toBe(true);
    // The key's profile names its user: the contract fixture's 51001.
    expect((await call('/v4/apiKeyProfiles')).json[0].userId).toBe(51001);

    served = await zip([COLUMNS.join(','), '100001,1,2026-10-25T18:00:00-04:00,18,,,'].join('\n'));
    const refused = await call('/v4/bulkImportJobs', { method: 'POST', body: jobBody() });
    expect(refused.status).toBe(400);
    expect(refused.json.errors[0]).toMatchObject({
      code: 'INVALID_PARAMETER',
      text: "'CanvassedBy' is required by the mapping type 'CanvassResults'.",
      properties: ['actions[0].mappingTypes[0].fieldValueMappings'],
    });
    expect(van.bulkImport.jobs()).toHaveLength(0);

    const by = (user: number) => [
      { name: 'CanvassResults', fieldValueMappings: [{ fieldName: 'CanvassedBy', staticValue: user }] },
    ];
    const strangerJob = (await call('/v4/bulkImportJobs', { method: 'POST', body: jobBody(by(7)) })).json;
    const stranger = await waitForFinal(strangerJob.jobId as number);
    expect((await (await fetch(stranger.resultFiles[0]!.url)).text()).trim().split('\n')[1]).toBe(
      `1,${strangerJob.jobId},100001,VanID,'CanvassedBy' must be a valid user id.`,
    );
    const ownJob = (await call('/v4/bulkImportJobs', { method: 'POST', body: jobBody(by(51001)) })).json;
    expect((await waitForFinal(ownJob.jobId as number)).status).toBe('Completed');
    expect(
      van
        .journal()
        .filter((e) => e.method === 'BULK')
        .map((e) => e.body),
    ).toEqual([
      {
        vanId: 100001,
        canvassContext: {
          contactTypeId: 1,
          dateCanvassed: '2026-10-25T18:00:00-04:00',
          phone: undefined,
          canvassedBy: 51001,
        },
        resultCodeId: 18,
      },
    ]);
  });

  test('a job whose file cannot be downloaded fails with the reason', async () => {
    const body = jobBody();
    body.file.sourceUrl = `${van.url}/no-such-file.zip`;
    const { jobId } = (await call('/v4/bulkImportJobs', { method: 'POST', body })).json as { jobId: number };
    const final = await waitForFinal(jobId);
    expect(final.status).toBe('Failed');
    expect(JSON.stringify(final.errors)).toMatch(/could not be read/);
  });

  test('createAnswerDelayMs: the job exists and runs before its creation is answered', async () => {
    van.bulkImport.setKnobs({ createAnswerDelayMs: 1500 });
    const created = call('/v4/bulkImportJobs', { method: 'POST', body: jobBody() });
    let answered = false;
    void created.then(() => (answered = true));
    for (let i = 0; i < 100 && van.bulkImport.jobs().length === 0; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(van.bulkImport.jobs()).toHaveLength(1);
    expect(answered).toBe(false);
    const { status, json } = await created;
    expect(status).toBe(201);
    expect(json).toEqual({ jobId: van.bulkImport.jobs()[0]!.jobId });
    // Past pendingMs (1 s here) while the answer was held: VAN was already working on it.
    expect(van.bulkImport.jobs()[0]!.status).not.toBe('Pending');
  });
});
