// One `callsync.csv-export` job: the run's calls in `fromStatus` stream from a Mongo cursor
// through csv-stringify into an S3 multipart upload (never the whole file in memory or on
// disk); then every exported call becomes `finished` with the file's S3 URL as receipt, in one
// write; the run gets a presigned link valid 2 days (for the report), and the caller file.
//
// Idempotent: the object key is chosen once and stored on the run before the upload, and the
// run records when the upload finished, so a redelivered job for an uploaded export skips the
// upload and only finishes what is left (marking calls finished twice is a no-op).

import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { stringify } from 'csv-stringify';
import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import {
  CALLER_CSV_COLUMNS,
  callerCsvFileName,
  callerCsvRow,
  callingDay,
  CSV_LINK_LIFETIME_DAYS,
  RESULT_CSV_COLUMNS,
  resultCsvFileName,
  resultCsvRow,
  RunState,
  SyncStatus,
  type CallerRecord,
  type CsvExportMessage,
} from '@call-sync/core';
import { presignDownload, type Logger, type Publisher } from '@call-sync/platform';
import {
  advanceRun,
  batchesReadAhead,
  finishExportedCalls,
  findRun,
  publishPendingFinalEvent,
  runCallerLogins,
  runCallsInStatus,
  runsCollection,
  type RunDocument,
  type RunExportRecord,
} from '@call-sync/store';

export interface ExportDeps {
  db: Db;
  publisher: Publisher;
  logger: Logger;
  registry?: Registry;
  s3: { client: S3Client; bucket: string };
  /** Optional caller directory: a URL answering a JSON list of {login, email, phone, from}. */
  callerDirectoryUrl?: string | undefined;
}

type ExportField = 'csvExport' | 'callerExport';

const LINK_SECONDS = CSV_LINK_LIFETIME_DAYS * 24 * 3600;

const token = (): string => randomBytes(9).toString('hex');

/** The export's object key, chosen by the first delivery and reused by any redelivery. */
async function exportKey(
  db: Db,
  run: RunDocument,
  field: ExportField,
  fileName: () => string,
): Promise<RunExportRecord> {
  const existing = run[field];
  if (existing) return existing;
  const proposed: RunExportRecord = { key: fileName() };
  const updated = await runsCollection(db).findOneAndUpdate(
    { _id: run._id, [field]: { $exists: false } },
    { $set: { [field]: proposed } },
    { returnDocument: 'after' },
  );
  if (updated) return proposed;
  const again = await findRun(db, run.runId);
  return again![field]!;
}

/** Streams rows into one S3 object; returns how many rows (header excluded) went in. */
async function uploadCsv(
  s3: ExportDeps['s3'],
  key: string,
  columns: readonly string[],
  rows: AsyncIterable<string[]>,
): Promise<number> {
  const body = new PassThrough();
  const upload = new Upload({
    client: s3.client,
    params: { Bucket: s3.bucket, Key: key, Body: body, ContentType: 'text/csv; charset=utf-8' },
    queueSize: 2,
    partSize: 5 * 1024 * 1024,
  });
  let count = 0;
  const counted = async function* (): AsyncGenerator<string[]> {
    for await (const row of rows) {
      count += 1;
      yield row;
    }
  };
  await Promise.all([
    pipeline(
      counted(),
      stringify({
        header: true,
        columns: [...columns],
        record_delimiter: 'windows',
        // With CRLF records csv-stringify quotes only a CRLF inside a value; a bare CR or LF (a
        // name typed with a line break) would split the row for every reader. Spaces at either
        // end are quoted too, so a reader that trims cannot change a name.
        quoted_match: /[\r\n]|^\s|\s$/,
      }),
      body,
    ),
    upload.done(),
  ]);
  return count;
}

async function markUploaded(db: Db, runId: string, field: ExportField, rows: number): Promise<void> {
  await runsCollection(db).updateOne(
    { _id: runId },
    { $set: { [`${field}.uploadedAt`]: new Date(), [`${field}.rows`]: rows } },
  );
}

async function callerRecords(deps: ExportDeps, logins: string[]): Promise<CallerRecord[]> {
  if (!deps.callerDirectoryUrl) return logins.map((login) => ({ login }));
  try {
    const response = await fetch(deps.callerDirectoryUrl, { signal: AbortSignal.timeout(10_000) });
    const directory = (await response.json()) as CallerRecord[];
    const byLogin = new Map(directory.filter((c) => typeof c?.login === 'string').map((c) => [c.login, c]));
    return logins.map((login) => ({ ...byLogin.get(login), login }));
  } catch (error) {
    // The caller file is a courtesy: without the directory it still lists the logins.
    deps.logger.warn({ err: error }, 'caller directory unavailable');
    return logins.map((login) => ({ login }));
  }
}

/** The run's caller file; returns its presigned link. */
async function exportCallers(deps: ExportDeps, run: RunDocument): Promise<string> {
  const dayCalled = callingDay(run.window);
  const record = await exportKey(deps.db, run, 'callerExport', () =>
    callerCsvFileName(run.candidate, dayCalled, token()),
  );
  if (!record.uploadedAt) {
    const callers = await callerRecords(deps, await runCallerLogins(deps.db, run.runId));
    const rows = await uploadCsv(
      deps.s3,
      record.key,
      CALLER_CSV_COLUMNS,
      (async function* () {
        for (const caller of callers) yield callerCsvRow(caller);
      })(),
    );
    await markUploaded(deps.db, run.runId, 'callerExport', rows);
  }
  const url = await presignDownload(deps.s3.client, deps.s3.bucket, record.key, LINK_SECONDS);
  await runsCollection(deps.db).updateOne({ _id: run._id }, { $set: { callerCsvUrl: url } });
  return url;
}

/** Handles one csv-export job end to end. */
export async function exportRunToCsv(
  deps: ExportDeps,
  message: CsvExportMessage,
): Promise<RunDocument | null> {
  const run = await findRun(deps.db, message.runId);
  if (!run || run.state === RunState.Completed || run.state === RunState.Failed) {
    if (run) await publishPendingFinalEvent(deps, run);
    return run;
  }
  if (message.kind === 'callers') {
    await exportCallers(deps, run);
    return advanceRun(deps, run.runId);
  }
  const fromStatus = message.fromStatus === 'in_progress' ? SyncStatus.InProgress : SyncStatus.QueuedForCsv;
  const dayCalled = callingDay(run.window);
  const record = await exportKey(deps.db, run, 'csvExport', () =>
    resultCsvFileName(run.candidate, dayCalled, token()),
  );
  if (!record.uploadedAt) {
    const cursor = runCallsInStatus(deps.db, run.runId, fromStatus);
    try {
      const rows = await uploadCsv(
        deps.s3,
        record.key,
        RESULT_CSV_COLUMNS,
        (async function* () {
          for await (const calls of batchesReadAhead(cursor))
            for (const call of calls)
              yield resultCsvRow(call, call.display_name ?? call.full_on_screen_result);
        })(),
      );
      await markUploaded(deps.db, run.runId, 'csvExport', rows);
      deps.logger.info({ runId: run.runId, candidate: run.candidate, rows }, 'results CSV uploaded');
    } finally {
      await cursor.close();
    }
  }
  const csvUrl = await presignDownload(deps.s3.client, deps.s3.bucket, record.key, LINK_SECONDS);
  await runsCollection(deps.db).updateOne({ _id: run._id }, { $set: { csvUrl } });
  await exportCallers(deps, run);
  await finishExportedCalls(deps.db, run.runId, fromStatus, `s3://${deps.s3.bucket}/${record.key}`);
  return advanceRun(deps, run.runId);
}
