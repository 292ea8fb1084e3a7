import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parse } from 'csv-parse/sync';
import type { Db } from 'mongodb';
import {
  CsvExportMessage,
  emptyRunCounts,
  RunState,
  SyncStatus,
  type Call,
  type Strategy,
} from '@call-sync/core';
import {
  connectMongo,
  createLogger,
  createS3Client,
  ensureBucket,
  ensureIndexes,
  Topics,
  type MongoConnection,
  type Publisher,
} from '@call-sync/platform';
import {
  advanceRun,
  callsCollection,
  claimCalls,
  findRun,
  newRunDocument,
  runsCollection,
  type RunDocument,
} from '@call-sync/store';
import { makeCall } from '../../../test/support/calls';
import { serverEnv, uniqueName } from '../../../test/support/env';
import { dropTestDatabase } from '../../../test/support/mongo';
import { recordingPublisher } from '../../../test/support/publisher';
import { exportRunToCsv, type ExportDeps } from '../src/export-run-to-csv';

// The csv-writer's exports on real MongoDB and S3 (SeaweedFS): what a campaign opens in a
// spreadsheet is read back with csv-parse, cell by cell.

const logger = createLogger('csv-writer-test', 'silent');
const bucket = uniqueName('csv-writer').toLowerCase();
let connection: MongoConnection;
let db: Db;
let database: string;
let s3: S3Client;

beforeAll(async () => {
  const env = serverEnv();
  database = uniqueName('csv-writer');
  connection = await connectMongo(env.mongoUrl, database);
  db = connection.db;
  await ensureIndexes(db);
  s3 = createS3Client({ ...env.s3, forcePathStyle: true });
  await ensureBucket(s3, bucket);
});

afterAll(async () => {
  s3.destroy();
  await connection.close();
  await dropTestDatabase(serverEnv().mongoUrl, database);
});

function deps(publisher: Publisher): ExportDeps {
  return { db, publisher, logger, s3: { client: s3, bucket } };
}

/** A run of `candidate` over the night of Oct 20 (synced at 3 am Eastern on Oct 21). */
async function insertRun(candidate: string, state: RunState, strategy: Strategy): Promise<RunDocument> {
  const run: RunDocument = {
    ...newRunDocument({
      candidate,
      trigger: 'schedule',
      window: { start: new Date('2026-10-20T07:00:00Z'), end: new Date('2026-10-21T07:00:00Z') },
      scheduledAt: new Date('2026-10-21T07:00:00Z'),
    }),
    state,
    strategy,
    startedAt: new Date(),
    counts: emptyRunCounts(),
  };
  await runsCollection(db).insertOne(run);
  return run;
}

async function insertCalls(candidate: string, calls: Partial<Call>[]): Promise<Call[]> {
  const docs = calls.map((overrides, i) =>
    makeCall({ timestamp: new Date(`2026-10-20T22:${String(10 + i)}:00Z`), client: candidate, ...overrides }),
  );
  await callsCollection(db).insertMany(docs);
  return docs;
}

async function objectText(url: string): Promise<{ key: string; text: string }> {
  const key = decodeURIComponent(new URL(url).pathname.split('/').slice(2).join('/'));
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { key, text: await object.Body!.transformToString('utf8') };
}

/** An all-csv run in `exporting` whose calls are claimed for its results file, and that file's job. */
async function claimedExport(
  prefix: string,
  calls: Partial<Call>[],
): Promise<{ run: RunDocument; candidate: string; message: CsvExportMessage }> {
  const candidate = uniqueName(prefix);
  const run = await insertRun(candidate, RunState.Exporting, 'all csv');
  const stored = await insertCalls(candidate, calls);
  await claimCalls(
    db,
    run.runId,
    stored.map((c) => ({ callId: c.id, status: SyncStatus.InProgress, displayName: 'Not home' })),
  );
  return {
    run,
    candidate,
    message: { v: 1, runId: run.runId, candidate, kind: 'results', fromStatus: 'in_progress' },
  };
}

test('names with line breaks, quotes, commas, spaces and formula starts come back as the same rows', async () => {
  const names: [string, string][] = [
    ['Mary\nAnn', 'Bare\rCR'],
    ['Crlf\r\nName', 'O"Brien'],
    ['Smith, Jr.', ' Leading'],
    ['Trailing ', '=SUM(A1:A2)'],
    ['+1 caller', '@handle'],
  ];
  const { candidate, message } = await claimedExport(
    'quoting',
    names.map(([first_name, last_name]) => ({ first_name, last_name, display_name: 'Not home' })),
  );

  const done = await exportRunToCsv(deps(recordingPublisher()), message);

  expect(done?.state).toBe(RunState.Completed);
  const { key, text } = await objectText(done!.csvUrl!);
  // Named after the day the calls were made (Oct 20), not the morning the run started.
  expect(key).toMatch(new RegExp(`^${candidate}-10-20-2026-[A-Za-z0-9]+\\.csv$`));
  const rows = parse(text, { bom: true }) as string[][];
  expect(rows).toHaveLength(1 + names.length);
  // Written down by hand: what each cell must say (formula starts are turned into text).
  expect(rows.slice(1).map((row) => [row[2], row[3]])).toEqual([
    ['Mary\nAnn', 'Bare\rCR'],
    ['Crlf\r\nName', 'O"Brien'],
    ['Smith, Jr.', ' Leading'],
    ['Trailing ', "'=SUM(A1:A2)"],
    ["'+1 caller", "'@handle"],
  ]);
  for (const row of rows) expect(row).toHaveLength(9);
});

test('a full run that had calls gets its caller file before it completes, linked on the run', async () => {
  const candidate = uniqueName('full-callers');
  const run = await insertRun(candidate, RunState.Writing, 'full');
  const calls = await insertCalls(candidate, [
    { caller_login: 'vol_ana' },
    { caller_login: 'vol_bo' },
    { caller_login: 'vol_ana' },
  ]);
  await claimCalls(
    db,
    run.runId,
    calls.map((c) => ({ callId: c.id, status: SyncStatus.Ignored })),
  );
  const publisher = recordingPublisher();

  // Every call is settled: the run does not complete yet, it asks for its caller file.
  const waiting = await advanceRun({ db, logger, publisher }, run.runId, { exact: true });
  expect(waiting?.state).toBe(RunState.Exporting);
  expect(publisher.sent).toEqual([
    { topic: Topics.CsvExport, value: { v: 1, runId: run.runId, candidate, kind: 'callers' } },
  ]);

  const done = await exportRunToCsv(deps(publisher), publisher.sent[0]!.value as CsvExportMessage);

  expect(done?.state).toBe(RunState.Completed);
  expect(done?.csvUrl).toBeUndefined();
  const { key, text } = await objectText(done!.callerCsvUrl!);
  expect(key).toMatch(new RegExp(`^${candidate}-agents-10-20-2026-[A-Za-z0-9]+\\.csv$`));
  expect(parse(text)).toEqual([
    ['Login', 'Email', 'Phone', 'From'],
    ['vol_ana', '', '', ''],
    ['vol_bo', '', '', ''],
  ]);
  const completed = publisher.sent.find(
    (m) => m.topic === Topics.RunEvents && (m.value as { type: string }).type === 'run.completed',
  );
  expect(completed).toBeDefined();
  expect((await findRun(db, run.runId))?.callerCsvUrl).toBe(done!.callerCsvUrl);
});

test('a run without calls completes at once, with no caller file', async () => {
  const candidate = uniqueName('no-calls');
  const run = await insertRun(candidate, RunState.Writing, 'full');
  const publisher = recordingPublisher();
  const done = await advanceRun({ db, logger, publisher }, run.runId, { exact: true });
  expect(done?.state).toBe(RunState.Completed);
  expect(done?.callerCsvUrl).toBeUndefined();
  expect(publisher.sent.filter((m) => m.topic === Topics.CsvExport)).toEqual([]);
});

test('an export that completed its run while the broker was down sends run.completed when the job is redelivered', async () => {
  const { run, message } = await claimedExport('broker-down', [
    { display_name: 'Not home' },
    { display_name: 'Moved' },
  ]);

  // The file is uploaded and the run completed, but its final event cannot reach the topic: the
  // handler fails, so Kafka delivers the job again.
  await expect(exportRunToCsv(deps(recordingPublisher({ down: true })), message)).rejects.toThrow(
    'broker unavailable',
  );
  expect(await findRun(db, run.runId)).toMatchObject({ state: RunState.Completed, finalEventPending: true });

  const publisher = recordingPublisher();
  await exportRunToCsv(deps(publisher), message);
  expect(publisher.sent).toEqual([
    {
      topic: Topics.RunEvents,
      value: expect.objectContaining({ runId: run.runId, type: 'run.completed', state: RunState.Completed }),
    },
  ]);
  expect((await findRun(db, run.runId))?.finalEventPending).toBeUndefined();

  // Sent once: a further redelivery has nothing left to send.
  await exportRunToCsv(deps(publisher), message);
  expect(publisher.sent).toHaveLength(1);
});
