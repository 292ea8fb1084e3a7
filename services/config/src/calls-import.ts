import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import {
  LIVEVOX_EXPORT_COLUMNS,
  parseLivevoxExportRow,
  type Call,
  type LivevoxExportRow,
} from '@call-sync/core';
import type { Configuration } from '@call-sync/integrations';
import { oneWriteAtATime } from '@call-sync/platform';
import type { OperatorCalls } from '@call-sync/store';
import {
  IMPORT_HEARTBEAT_MS,
  type ImportCounts,
  type ImportJobDocument,
  type ImportsRepository,
} from './data-access/imports-repository';

/** Columns without which no row can become a call; the others may be empty or absent. */
const REQUIRED_COLUMNS = ['id', 'account_number', 'start', 'result'];
/** Enough for anyone to find the pattern; the count says how many there were in all. */
const MAX_STORED_ROW_ERRORS = 1000;
const BATCH_SIZE = 2000;
/** The import page polls the job: rows read appear while the file streams in. */
const PROGRESS_EVERY_MS = 500;
/** Enough of a bad row to recognise and fix it; a row that long is broken anyway. */
const MAX_ROW_TEXT = 1000;
/**
 * Far above any dialer's row. Without a bound, an unclosed quote makes the parser hold every byte
 * after it, up to IMPORT_MAX_BYTES, in memory as one field.
 */
const MAX_RECORD_BYTES = 64 * 1024;

export class ImportRejectedError extends Error {
  constructor(
    readonly status: 400 | 413 | 422,
    message: string,
    readonly job: ImportJobDocument,
  ) {
    super(message);
    this.name = 'ImportRejectedError';
  }
}

export interface CallsImportOptions {
  configuration: Configuration;
  calls: OperatorCalls;
  imports: ImportsRepository;
  maxBytes: number;
  /** For exports without a service_name column: the dialer service all rows came from. */
  serviceName?: string;
  fileName?: string;
  /** The job's id, chosen by the caller so it can read the job's progress while it uploads. */
  importId?: string;
  /** The token's name: who uploaded. */
  by?: string;
}

/** The candidate whose district an account names; active candidates win a shared district. */
function clientForDistrictOf(configuration: Configuration): (district: string) => string | undefined {
  const byDistrict = new Map<string, string>();
  const candidates = [...configuration.candidates.values()].map((c) => c.candidate);
  for (const candidate of [...candidates].sort((a, b) => Number(b.active) - Number(a.active))) {
    if (!byDistrict.has(candidate.district)) byDistrict.set(candidate.district, candidate.slug);
  }
  return (district) => byDistrict.get(district);
}

/** A record's own text: without the empty lines skipped before it and its line end. */
function rowBody(raw: string): string {
  return raw.replace(/^[\r\n]+/, '').replace(/(\r\n|\r|\n)$/, '');
}

/**
 * The file line a record starts on: csv-parse counts to its end, and a quoted name with line
 * breaks would otherwise send a person to the middle of the row. `raw` holds the empty lines
 * skipped before the record and its own line end, neither of which is part of it.
 */
function firstLineOf(lastLine: number, raw: string): number {
  const body = rowBody(raw);
  return lastLine - (body.match(/\r\n|\r|\n/g)?.length ?? 0);
}

/** A request sent chunked, without Content-Length (which the route checks against the limit up front). */
function lengthUnknown(input: Readable): boolean {
  return input instanceof IncomingMessage && input.headers['content-length'] === undefined;
}

/**
 * Streams the dialer's call-export CSV into `calls`: parsed row by row (csv-parse, so tens of MB
 * never sit in memory), checked by core's parseLivevoxExportRow, and upserted by id in batches.
 * A bad row is an error with its line number and never stops the file; a re-upload of the same
 * file changes nothing and never touches a call's sync fields. The job document is updated as it
 * goes, so its progress can be read while the upload runs.
 */
export async function importCallExport(
  input: Readable,
  options: CallsImportOptions,
): Promise<ImportJobDocument> {
  const { configuration, calls, imports } = options;
  const startedAt = new Date();
  const importId = options.importId ?? randomUUID();
  const counts: ImportCounts = {
    rows: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    testAccountsSkipped: 0,
    errors: 0,
  };
  const rowErrors: ImportJobDocument['rowErrors'] = [];
  const job: ImportJobDocument = {
    _id: importId,
    importId,
    state: 'running',
    ...(options.fileName ? { fileName: options.fileName } : {}),
    ...(options.serviceName ? { serviceName: options.serviceName } : {}),
    ...(options.by ? { by: options.by } : {}),
    bytesRead: 0,
    counts,
    rowErrors,
    startedAt,
    updatedAt: startedAt,
  };
  await imports.create(job);

  const context = {
    termCodes: configuration.termCodes,
    clientForDistrict: clientForDistrictOf(configuration),
  };
  let batch = new Map<string, Call>();
  let lastProgressAt = Date.now();
  let rejection: ImportRejectedError | undefined;

  const write = async (batchCalls: Call[]) => {
    const written = await calls.upsertDialerCalls(batchCalls);
    counts.inserted += written.inserted;
    counts.updated += written.updated;
    counts.unchanged += written.unchanged;
    if (Date.now() - lastProgressAt >= PROGRESS_EVERY_MS) {
      lastProgressAt = Date.now();
      await imports.update(importId, { counts, bytesRead: job.bytesRead });
    }
  };
  // One batch is written while the parser reads the next, so neither waits for the other. A batch
  // starts only once the one before it is written: a call listed twice still keeps its last row.
  const writes = oneWriteAtATime();
  const flush = async () => {
    if (batch.size === 0) return;
    const next = [...batch.values()];
    batch = new Map();
    await writes.write(() => write(next));
  };

  const byteCounter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      job.bytesRead += chunk.length;
      if (job.bytesRead > options.maxBytes) {
        rejection = new ImportRejectedError(413, `the upload is larger than ${options.maxBytes} bytes`, job);
        callback(rejection);
        return;
      }
      // CSV text never holds a NUL; images, archives, spreadsheets and UTF-16 exports do.
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        const at = job.bytesRead - chunk.length + nul;
        rejection = new ImportRejectedError(
          400,
          `the upload is not a text file: byte ${at} is NUL (send the call export as UTF-8 CSV, not a spreadsheet, image or UTF-16 file)`,
          job,
        );
        callback(rejection);
        return;
      }
      callback(null, chunk);
    },
  });
  let sawHeader = false;
  const parser = parse({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
    max_record_size: MAX_RECORD_BYTES,
    info: true,
    raw: true,
    columns: (header: string[]) => {
      const columns = header.map((name) => name.trim().toLowerCase());
      const missing = REQUIRED_COLUMNS.filter((name) => !columns.includes(name));
      if (missing.length > 0) {
        rejection = new ImportRejectedError(
          400,
          `the header lacks ${missing.join(', ')}; a call export has the columns ${LIVEVOX_EXPORT_COLUMNS.join(', ')}`,
          job,
        );
        throw rejection;
      }
      sawHeader = true;
      return columns;
    },
  });

  const consume = async (
    records: AsyncIterable<{ record: LivevoxExportRow; info: { lines: number }; raw: string }>,
  ) => {
    for await (const { record, info, raw } of records) {
      counts.rows += 1;
      const serviceName = record.service_name?.trim() || options.serviceName;
      const outcome = parseLivevoxExportRow(record, firstLineOf(info.lines, raw), {
        ...context,
        ...(serviceName ? { serviceName } : {}),
      });
      if (outcome.kind === 'call') {
        // A file that lists a call twice keeps its last row, as a re-upload would.
        batch.set(outcome.call.id, outcome.call);
        if (batch.size >= BATCH_SIZE) await flush();
      } else if (outcome.kind === 'test-account') {
        counts.testAccountsSkipped += 1;
      } else {
        counts.errors += 1;
        if (rowErrors.length < MAX_STORED_ROW_ERRORS)
          rowErrors.push({
            line: outcome.line,
            message: outcome.message,
            text: rowBody(raw).slice(0, MAX_ROW_TEXT),
          });
      }
    }
    await flush();
    await writes.finish();
    if (counts.rows === 0) {
      rejection = new ImportRejectedError(
        422,
        sawHeader
          ? 'the file has a header but no rows after it: nothing to import'
          : 'the file is empty: nothing to import',
        job,
      );
      throw rejection;
    }
  };

  // The request is piped in rather than made part of the pipeline, so that a rejected upload
  // does not destroy the request's socket before the 400/413 answer can be sent.
  input.pipe(byteCounter);
  let spoolDir: string | undefined;
  // Between batches (a slow upload) the document must still say this process is alive.
  const heartbeat = setInterval(() => {
    imports.update(importId, { counts, bytesRead: job.bytesRead }).catch(() => undefined);
  }, IMPORT_HEARTBEAT_MS);
  try {
    if (lengthUnknown(input)) {
      // Without a Content-Length the size limit can only be found while reading; the upload is
      // kept on disk until its end so that a file over the limit leaves no call behind.
      spoolDir = await mkdtemp(path.join(tmpdir(), 'call-import-'));
      const spool = path.join(spoolDir, 'upload.csv');
      await pipeline(byteCounter, createWriteStream(spool));
      await pipeline(createReadStream(spool), parser, consume);
    } else {
      await pipeline(byteCounter, parser, consume);
    }
  } catch (error) {
    input.unpipe(byteCounter);
    // The job is marked failed only once no batch is still being written.
    await writes.settle();
    const finishedAt = new Date();
    const { code, lines } = error as { code?: string; lines?: number };
    const reason =
      rejection ??
      new ImportRejectedError(
        400,
        code === 'CSV_MAX_RECORD_SIZE'
          ? `a row is longer than ${MAX_RECORD_BYTES} bytes by line ${lines} (an unclosed quote takes in the lines after it)`
          : `the file is not readable CSV: ${(error as Error).message}`,
        job,
      );
    Object.assign(job, {
      state: 'failed',
      error: reason.message,
      finishedAt,
      durationMs: finishedAt.getTime() - startedAt.getTime(),
    });
    await imports.update(importId, { ...job, updatedAt: finishedAt });
    throw reason;
  } finally {
    clearInterval(heartbeat);
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
  }
  const finishedAt = new Date();
  Object.assign(job, {
    state: 'completed',
    finishedAt,
    durationMs: finishedAt.getTime() - startedAt.getTime(),
  });
  await imports.update(importId, { ...job, updatedAt: finishedAt });
  return job;
}
