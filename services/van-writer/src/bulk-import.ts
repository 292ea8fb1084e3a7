// The `bulk` strategy (docs/behaviour.md#van): a run's claimed VAN calls go to VAN as Bulk Import
// jobs instead of one request each. Per run: check the key's mappings (fall back to per-call
// posting, or fail naming the mapping), stream the calls by cursor into zipped CSV files on S3
// (each below the size limit), then per file: mark its calls, create the job (at most once: the
// run holds the job's state and id), poll with backoff until final, read the results file at once
// and set each call finished (receipt: job and row) or attempted_error (the row's error).
// A redelivered message resumes from the run document: it polls a created job again, and never
// creates a second job for the same calls. Once the request creating a job has left, only VAN's
// refusal frees its calls; any other failure (a timeout, a 5xx, MongoDB failing to record the job
// or count its request) may have left a job at VAN, so its calls become "outcome unknown".

import { PassThrough, type Readable } from 'node:stream';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Client } from '@aws-sdk/client-s3';
import { stringify } from 'csv-stringify/sync';
import type { Db } from 'mongodb';
import yazl from 'yazl';
import {
  bulkColumns,
  bulkMappingUses,
  bulkRow,
  emptyBulkRowLayout,
  growBulkRowLayout,
  SyncStatus,
  RunState,
  VanSyncMessage,
  type BulkRowLayout,
  type VanBulkImportMessage,
} from '@call-sync/core';
import {
  BULK_IMPORT_RESOURCE,
  findSurveyResponseMapping,
  missingBulkImportMappings,
  planBulkImportMappings,
  refusedBeforeCreation,
  unfilledBulkImportFields,
  VanOutcomeUnknownError,
  type BulkImportJob,
  type BulkImportJobRequest,
  type BulkImportMappingType,
  type BulkImportMappingUse,
} from '@call-sync/integrations';
import { presignDownload, Topics, type Logger, type Publisher } from '@call-sync/platform';
import {
  addBulkRequests,
  advanceRun,
  assignBulkRows,
  beginBulkPreparation,
  bulkCandidateCalls,
  bulkJobCalls,
  bulkRequestId,
  failRun,
  findRun,
  finishBulkPreparation,
  flagBulkOutcomeUnknown,
  incrementRunCounters,
  markBulkFallback,
  markBulkPosting,
  readRunBulkImport,
  recordOutcomes,
  releaseBulkPosting,
  transitionBulkJob,
  updateLiveRun,
  type BulkJobRecord,
  type MarkedOutcome,
  type RunBulkImport,
} from '@call-sync/store';
import type { CandidateVanAccess } from './posting-window';

interface BulkImportSettings {
  bucket: string;
  linkSeconds: number;
  maxZipBytes: number;
  maxRowsPerJob: number;
  pollMinMs: number;
  pollMaxMs: number;
  /** Slugs whose runs post call by call when a mapping is missing; `*` = every candidate. */
  fallbackCandidates: string[];
  vanSyncBatchSize: number;
}

export interface BulkImportDeps {
  db: Db;
  logger: Logger;
  publisher: Publisher;
  /** Uploads the files (the bucket's internal endpoint). */
  s3: S3Client;
  /** Signs the links VAN downloads from (the bucket's public endpoint). */
  publicS3: S3Client;
  settings: BulkImportSettings;
  vanAccessFor(candidate: string): Promise<CandidateVanAccess | undefined>;
  /** Aborted on shutdown: polling stops and the message is delivered again later. */
  signal?: AbortSignal;
}

const RESOURCE = BULK_IMPORT_RESOURCE;
/** Room left in a file for the zip's own headers. */
const ZIP_OVERHEAD_BYTES = 64 * 1024;
const ASSIGN_BATCH = 500;

interface Spend {
  /** Runs a VAN call and records the requests it spent on the run. */
  <T>(work: () => Promise<T>): Promise<T>;
}

function spender(deps: BulkImportDeps, runId: string, access: CandidateVanAccess): Spend {
  return async (work) => {
    const before = access.requestsUsed();
    try {
      return await work();
    } finally {
      const used = access.requestsUsed() - before;
      if (used > 0) {
        await addBulkRequests(deps.db, runId, used);
        await incrementRunCounters(deps.db, runId, { vanRequestsUsed: used });
      }
    }
  };
}

function fallsBack(settings: BulkImportSettings, candidate: string): boolean {
  return settings.fallbackCandidates.includes('*') || settings.fallbackCandidates.includes(candidate);
}

async function scanLayout(db: Db, runId: string): Promise<{ layout: BulkRowLayout; calls: number }> {
  let layout = emptyBulkRowLayout();
  let calls = 0;
  const cursor = bulkCandidateCalls(db, runId);
  try {
    for await (const call of cursor) {
      if (!call.van_request) continue;
      layout = growBulkRowLayout(layout, call.van_request.body);
      calls += 1;
    }
  } finally {
    await cursor.close();
  }
  return { layout, calls };
}

/** Hands the run's calls to per-call posting (the fallback when a mapping is not enabled). */
async function publishPerCall(deps: BulkImportDeps, message: VanBulkImportMessage): Promise<number> {
  let batch: string[] = [];
  let published = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const value: VanSyncMessage = {
      v: 1,
      runId: message.runId,
      candidate: message.candidate,
      callIds: batch,
    };
    await deps.publisher.publish(Topics.VanSync, VanSyncMessage, [{ key: message.candidate, value }]);
    published += batch.length;
    batch = [];
  };
  const cursor = bulkCandidateCalls(deps.db, message.runId);
  try {
    for await (const call of cursor) {
      batch.push(call.id);
      if (batch.length >= deps.settings.vanSyncBatchSize) await flush();
    }
    await flush();
  } finally {
    await cursor.close();
  }
  return published;
}

/** One zipped CSV file being streamed to S3. */
class BulkFile {
  private readonly csv = new PassThrough();
  private readonly zip = new yazl.ZipFile();
  private readonly upload: Upload;
  bytes = 0;
  rows = 0;

  constructor(
    s3: S3Client,
    bucket: string,
    readonly key: string,
    columns: string[],
  ) {
    this.zip.addReadStream(this.csv, 'canvass-results.csv');
    this.zip.end();
    this.upload = new Upload({
      client: s3,
      params: {
        Bucket: bucket,
        Key: key,
        Body: this.zip.outputStream as Readable,
        ContentType: 'application/zip',
      },
    });
    this.write(columns);
    this.rows = 0;
  }

  fits(line: string[], maxBytes: number, maxRows: number): boolean {
    return (
      this.rows < maxRows &&
      this.bytes + Buffer.byteLength(stringify([line])) <= maxBytes - ZIP_OVERHEAD_BYTES
    );
  }

  write(line: string[]): number {
    const text = stringify([line]);
    this.bytes += Buffer.byteLength(text);
    this.csv.write(text);
    this.rows += 1;
    return this.rows;
  }

  async finish(): Promise<void> {
    const done = this.upload.done();
    this.csv.end();
    await done;
  }
}

/** Writes the run's files and puts each call in its file; the jobs are recorded on the run. */
async function prepareFiles(
  deps: BulkImportDeps,
  message: VanBulkImportMessage,
  attempt: number,
  layout: BulkRowLayout,
): Promise<{ jobs: BulkJobRecord[]; calls: number }> {
  const { settings } = deps;
  const columns = bulkColumns(layout);
  const jobs: BulkJobRecord[] = [];
  let file: BulkFile | undefined;
  let pending: { callId: string; previousRequestId: string | null; row: number }[] = [];
  let calls = 0;
  const current = (): BulkJobRecord => jobs[jobs.length - 1]!;
  const flushRows = async (): Promise<void> => {
    await assignBulkRows(deps.db, message.runId, pending, current().requestId);
    pending = [];
  };
  const close = async (): Promise<void> => {
    if (!file) return;
    await flushRows();
    await file.finish();
    current().rows = file.rows;
  };
  const cursor = bulkCandidateCalls(deps.db, message.runId);
  try {
    for await (const call of cursor) {
      if (!call.van_request) continue;
      const line = bulkRow(layout, call.van_request.vanId, call.van_request.body);
      if (!file || !file.fits(line, settings.maxZipBytes, settings.maxRowsPerJob)) {
        await close();
        const index = jobs.length;
        const key = `bulk-import/${message.candidate}/${message.runId}-${attempt}-${index + 1}.zip`;
        jobs.push({
          file: index,
          requestId: bulkRequestId(message.runId, attempt, index),
          key,
          rows: 0,
          state: 'ready',
        });
        file = new BulkFile(deps.s3, settings.bucket, key, columns);
      }
      const row = file.write(line);
      pending.push({ callId: call.id, previousRequestId: call.posting_request_id ?? null, row });
      calls += 1;
      if (pending.length >= ASSIGN_BATCH) await flushRows();
    }
    await close();
  } finally {
    await cursor.close();
  }
  return { jobs, calls };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('shutting down'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Error('shutting down: the job is polled again on redelivery'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Sets each call of a finished job from its row of the results file. */
async function applyResults(
  deps: BulkImportDeps,
  message: VanBulkImportMessage,
  record: BulkJobRecord,
  jobId: string,
  results: Map<number, string[]>,
): Promise<{ finished: number; errors: number }> {
  const calls = await bulkJobCalls(deps.db, message.runId, record.requestId);
  const entries: MarkedOutcome[] = calls.map((call) => {
    const errors = results.get(call.row);
    const base = { runId: message.runId, callId: call.id, requestId: record.requestId };
    if (errors === undefined) {
      return {
        ...base,
        outcome: {
          status: SyncStatus.AttemptedError,
          error: `not in VAN's results (Bulk Import job ${jobId}, row ${call.row})`,
        },
      };
    }
    if (errors.length > 0)
      return { ...base, outcome: { status: SyncStatus.AttemptedError, error: errors.join(' ') } };
    return {
      ...base,
      outcome: { status: SyncStatus.Finished, receipt: { kind: 'van-bulk', jobId, row: call.row } },
    };
  });
  let finished = 0;
  let errors = 0;
  for (let i = 0; i < entries.length; i += ASSIGN_BATCH) {
    const chunk = entries.slice(i, i + ASSIGN_BATCH);
    const recorded = await recordOutcomes(deps.db, chunk);
    const counts: Partial<Record<SyncStatus, number>> = {};
    chunk.forEach((entry, j) => {
      if (!recorded[j]) return;
      counts[entry.outcome.status] = (counts[entry.outcome.status] ?? 0) + 1;
      counts[SyncStatus.InProgress] = (counts[SyncStatus.InProgress] ?? 0) - 1;
      if (entry.outcome.status === SyncStatus.Finished) finished += 1;
      else errors += 1;
    });
    await incrementRunCounters(deps.db, message.runId, { counts });
  }
  return { finished, errors };
}

/** Polls a created job with backoff until it is final; the run stays "active" meanwhile. */
async function pollUntilFinal(
  deps: BulkImportDeps,
  message: VanBulkImportMessage,
  access: CandidateVanAccess,
  spend: Spend,
  jobId: string,
): Promise<BulkImportJob> {
  let delay = deps.settings.pollMinMs;
  for (;;) {
    await sleep(delay, deps.signal);
    const job = await spend(() => access.client.getBulkImportJob(jobId));
    await updateLiveRun(deps.db, message.runId, { 'progress.lastActivityAt': new Date() });
    if (job.final) return job;
    delay = Math.min(delay * 2, deps.settings.pollMaxMs);
  }
}

/** Reads a job's results at once; an expired link is asked for again once. */
async function readResults(
  access: CandidateVanAccess,
  spend: Spend,
  job: BulkImportJob,
): Promise<Map<number, string[]>> {
  const read = async (current: BulkImportJob) => {
    const results = new Map<number, string[]>();
    for (const file of current.resultFiles) {
      for (const row of await spend(() => access.client.readBulkImportResults(file.url)))
        results.set(row.row, row.errors);
    }
    return results;
  };
  try {
    return await read(job);
  } catch {
    return read(await spend(() => access.client.getBulkImportJob(job.jobId)));
  }
}

function jobRequest(
  message: VanBulkImportMessage,
  bulk: RunBulkImport,
  record: BulkJobRecord,
  sourceUrl: string,
): BulkImportJobRequest {
  const layout = bulk.layout!;
  return {
    description: `call-sync ${message.candidate} run ${message.runId} file ${record.file + 1}/${bulk.jobs.length}`,
    file: {
      fileName: record.key
        .split('/')
        .pop()!
        .replace(/\.zip$/, '.csv'),
      hasHeader: true,
      hasQuotes: true,
      sourceUrl,
      columns: bulkColumns(layout).map((name) => ({ name })),
      columnDelimiter: 'Csv',
    },
    actions: [
      {
        resultFileSizeKbLimit: 5000,
        resourceType: RESOURCE,
        actionType: 'loadMappedFile',
        // A run prepared before its mappings were kept on the run sends the plain ones.
        mappingTypes:
          bulk.mappings ??
          bulkMappingUses(layout, {
            canvassResults: 'CanvassResults',
            surveyResponse: bulk.surveyMapping ?? 'ApplySurveyResponse',
            activistCode: 'ActivistCode',
          }),
      },
    ],
  };
}

/** Why a job's creation left its existence unknown, in words for the person who checks VAN. */
function unknownCreation(error: unknown, jobId: string | undefined): string {
  if (jobId !== undefined)
    return `VAN created job ${jobId}; recording it or its request failed: ${(error as Error).message}`;
  if (error instanceof VanOutcomeUnknownError) {
    if (error.reason === 'timeout') return 'VAN did not answer the creation in time';
    if (error.reason === 'connection-lost') return 'the connection was lost before VAN answered the creation';
    return `VAN answered the creation with ${error.status ?? 'an unreadable answer'}`;
  }
  return `the creation failed after it may have been sent: ${(error as Error).message}`;
}

/**
 * Sends one job's creation, at most once: the job is marked `creating` before the request leaves.
 * VAN's refusal frees the calls (the run fails with VAN's reason); after any other failure the
 * job may exist, and its calls are flagged "outcome unknown" rather than freed.
 */
async function createJob(
  deps: BulkImportDeps,
  message: VanBulkImportMessage,
  access: CandidateVanAccess,
  spend: Spend,
  bulk: RunBulkImport,
  record: BulkJobRecord,
): Promise<{ jobId: string } | { refused: string } | { unknown: string }> {
  const { db, logger } = deps;
  const { runId } = message;
  const sourceUrl = await presignDownload(
    deps.publicS3,
    deps.settings.bucket,
    record.key,
    deps.settings.linkSeconds,
  );
  await markBulkPosting(db, runId, record.requestId);
  if (!(await transitionBulkJob(db, runId, record.file, 'ready', 'creating'))) {
    throw new Error('another worker took this Bulk Import job; the message is delivered again');
  }
  let jobId: string | undefined;
  try {
    // The id is kept the moment VAN answers: counting the request comes after, and may fail.
    await spend(async () => {
      jobId = (await access.client.createBulkImportJob(jobRequest(message, bulk, record, sourceUrl))).jobId;
    });
    if (!(await transitionBulkJob(db, runId, record.file, 'creating', 'created', { jobId }))) {
      // A redelivered message found the job `creating` meanwhile and flagged its calls.
      logger.warn({ runId, jobId }, 'Bulk Import job created after its calls were flagged');
      return { unknown: 'settled by another delivery' };
    }
    logger.info({ runId, jobId, rows: record.rows }, 'Bulk Import job created');
    return { jobId: jobId! };
  } catch (error) {
    const text = (error as Error).message;
    if (jobId === undefined && refusedBeforeCreation(error)) {
      await releaseBulkPosting(db, runId, record.requestId);
      await transitionBulkJob(db, runId, record.file, 'creating', 'failed', { error: text });
      return { refused: `VAN refused Bulk Import job ${record.file + 1} of ${bulk.jobs.length}: ${text}` };
    }
    // Flagging may fail as well (MongoDB down): the job then stays `creating`, and the message,
    // delivered again, flags its calls.
    const why = unknownCreation(error, jobId);
    const flagged = await flagBulkOutcomeUnknown(db, runId, record.requestId, why);
    await transitionBulkJob(db, runId, record.file, 'creating', 'done', {
      error: why,
      ...(jobId !== undefined ? { jobId } : {}),
    });
    logger.warn({ runId, jobId, flagged, err: text }, 'Bulk Import job creation outcome unknown');
    return { unknown: why };
  }
}

/** Creates, polls and settles one job. Returns a reason when the run must fail. */
async function runJob(
  deps: BulkImportDeps,
  message: VanBulkImportMessage,
  access: CandidateVanAccess,
  spend: Spend,
  bulk: RunBulkImport,
  record: BulkJobRecord,
): Promise<string | undefined> {
  const { db, logger } = deps;
  const { runId } = message;
  if (record.state === 'done' || record.state === 'failed') return undefined;
  if (record.state === 'creating') {
    // The job's creation was sent and VAN's answer never recorded: the job may exist.
    const why = 'the creation was sent and its answer never recorded (a writer stopped, or MongoDB failed)';
    const flagged = await flagBulkOutcomeUnknown(db, runId, record.requestId, why);
    await transitionBulkJob(db, runId, record.file, 'creating', 'done', { error: why });
    logger.warn(
      { runId, file: record.file, flagged },
      'Bulk Import job creation outcome unknown; calls flagged',
    );
    return undefined;
  }
  let jobId = record.jobId;
  if (record.state === 'ready') {
    const created = await createJob(deps, message, access, spend, bulk, record);
    if ('refused' in created) return created.refused;
    if (!('jobId' in created)) return undefined;
    jobId = created.jobId;
  }
  const job = await pollUntilFinal(deps, message, access, spend, jobId!);
  if (job.status === 'Failed') {
    await releaseBulkPosting(db, runId, record.requestId);
    const why = job.errors.join(' ') || 'no reason given';
    await transitionBulkJob(db, runId, record.file, 'created', 'failed', { status: job.status, error: why });
    return `VAN Bulk Import job ${jobId} failed: ${why}`;
  }
  const results = await readResults(access, spend, job);
  const applied = await applyResults(deps, message, record, jobId!, results);
  await transitionBulkJob(db, runId, record.file, 'created', 'done', { status: job.status });
  logger.info({ runId, jobId, status: job.status, ...applied }, 'Bulk Import job applied');
  return undefined;
}

/**
 * What the run's jobs will ask of VAN, read before any file is written: the mappings the key
 * offers, and each mapping's required fields filled (CanvassedBy with the key's own VAN user, read
 * only when a mapping requires it). A problem is why the run cannot go as Bulk Import, which VAN
 * would otherwise say by refusing the job.
 */
async function planJobs(
  access: CandidateVanAccess,
  spend: Spend,
  layout: BulkRowLayout,
): Promise<
  | { problem: string; remedy: string }
  | { surveyMapping: string | undefined; mappings: BulkImportMappingUse[] }
> {
  const types: BulkImportMappingType[] = await spend(() => access.client.bulkImportMappingTypes());
  const missing = missingBulkImportMappings(types, layout);
  if (missing.length > 0) {
    return {
      problem: `VAN Bulk Import mapping not enabled for this key: ${missing.join(', ')}`,
      remedy: 'ask VAN to enable it',
    };
  }
  let canvassedBy: number | undefined;
  let plan = planBulkImportMappings(types, layout, canvassedBy);
  if (plan.needsCanvassedBy) {
    canvassedBy = (await spend(() => access.client.getApiKeyProfile())).userId;
    plan = planBulkImportMappings(types, layout, canvassedBy);
  }
  const unfilled = unfilledBulkImportFields(plan, canvassedBy);
  if (unfilled) return { problem: unfilled, remedy: 'ask VAN about these fields' };
  return { surveyMapping: findSurveyResponseMapping(types)?.name, mappings: plan.uses };
}

/** Handles one `callsync.van-bulk-import` message: the whole VAN part of a `bulk` run. */
export async function runBulkImport(deps: BulkImportDeps, message: VanBulkImportMessage): Promise<void> {
  const { db, logger } = deps;
  const { runId, candidate } = message;
  const run = await findRun(db, runId);
  // The extractor publishes as it ends the claims, a moment before the run moves to writing.
  if (run?.state === RunState.Open || run?.state === RunState.Extracting) {
    throw new Error(`run ${runId} is still extracting; the message is delivered again`);
  }
  if (!run || run.state !== RunState.Writing) return;
  const access = await deps.vanAccessFor(candidate);
  if (!access) {
    await failRun({ db, logger, publisher: deps.publisher }, runId, `no VAN key for candidate ${candidate}`);
    return;
  }
  const spend = spender(deps, runId, access);
  let bulk = await readRunBulkImport(db, runId);
  if (bulk?.fallback) return;
  if (!bulk?.prepared) {
    const { layout, calls } = await scanLayout(db, runId);
    if (calls > 0) {
      const plan = await planJobs(access, spend, layout);
      if ('problem' in plan) {
        if (fallsBack(deps.settings, candidate)) {
          await markBulkFallback(db, runId);
          const published = await publishPerCall(deps, message);
          logger.warn({ runId, candidate, published }, `${plan.problem}; posting call by call instead`);
          return;
        }
        await failRun(
          { db, logger, publisher: deps.publisher },
          runId,
          `${plan.problem} — ${plan.remedy}, or list the candidate in VAN_BULK_FALLBACK_CANDIDATES`,
        );
        return;
      }
      const attempt = await beginBulkPreparation(db, runId, plan);
      if (attempt !== null) {
        const prepared = await prepareFiles(deps, message, attempt, layout);
        await finishBulkPreparation(db, runId, attempt, { layout, ...prepared });
      }
    }
    bulk = await readRunBulkImport(db, runId);
  }
  for (const record of bulk?.prepared ? bulk.jobs : []) {
    const failure = await runJob(deps, message, access, spend, bulk!, record);
    if (failure) {
      await failRun({ db, logger, publisher: deps.publisher }, runId, failure);
      return;
    }
  }
  await advanceRun({ db, logger, publisher: deps.publisher }, runId, { exact: true });
}
