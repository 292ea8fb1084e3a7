import Router from '@koa/router';
import type Koa from 'koa';
import { neutraliseCell } from '@call-sync/core';
import type { OperatorCalls } from '@call-sync/store';
import type { ConfigCache } from '../config-cache';
import { ImportRejectedError, importCallExport } from '../calls-import';
import type { ImportJobDocument, ImportsRepository } from '../data-access/imports-repository';
import { HttpError } from './http-error';
import { operations } from './api/operations';
import { serve } from './serve-operation';
import type { AuditRepository } from '../data-access/audit-repository';
import { recordAudit } from './audit-entries';
import { principalOf } from './access';
import { respond } from './negotiation';
import { renderImportPage, renderImportsPage } from '../pages/imports-page';

const ACCEPTED_TYPES = ['text/csv', 'text/plain', 'application/csv', 'application/octet-stream'];

function describeImport(job: ImportJobDocument) {
  const { _id: _omit, ...rest } = job;
  const seconds = (job.durationMs ?? Date.now() - job.startedAt.getTime()) / 1000;
  return { ...rest, rowsPerSecond: seconds > 0 ? Math.round(job.counts.rows / seconds) : null };
}

/** RFC 4180: a value with a comma, quote or line break (or edge spaces) is quoted. */
function csvCell(value: string | number): string {
  const text = neutraliseCell(String(value));
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The row errors as a spreadsheet opens them: the line, the error, and the row as the file had it. */
function rowErrorsCsv(rows: ImportJobDocument['rowErrors']): string {
  const lines = [['line', 'error', 'row'], ...rows.map((e) => [e.line, e.message, e.text ?? ''])];
  return lines.map((cells) => cells.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

function importAudit(job: ImportJobDocument, rejection?: string) {
  const { rows, inserted, updated, errors } = job.counts;
  const named = `import ${job.importId}${job.fileName ? ` of ${job.fileName}` : ''}`;
  return {
    action: 'import' as const,
    outcome: rejection ? ('failed' as const) : ('done' as const),
    summary: rejection
      ? `${named} refused: ${rejection}`
      : `${named}: ${rows} rows, ${inserted} new, ${updated} updated, ${errors} errors`,
    details: {
      importId: job.importId,
      fileName: job.fileName ?? null,
      serviceName: job.serviceName ?? null,
      counts: job.counts,
    },
  };
}

export function callsImportRoutes(deps: {
  cache: ConfigCache;
  calls: OperatorCalls;
  imports: ImportsRepository;
  audit: AuditRepository;
  maxBytes: number;
}): Router {
  const router = new Router();

  // The body is the CSV itself (curl --data-binary @export.csv -H 'Content-Type: text/csv'),
  // read as a stream: the answer comes when the last row is stored.
  serve(router, operations.importCalls, async (ctx: Koa.Context, { query }) => {
    const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase();
    if (!ACCEPTED_TYPES.includes(type)) {
      throw new HttpError(
        415,
        'unsupported_type',
        `send the call export as text/csv, not "${type || 'nothing'}"`,
      );
    }
    const declared = Number(ctx.get('content-length'));
    if (Number.isFinite(declared) && declared > deps.maxBytes) {
      throw new HttpError(413, 'too_large', `the upload is larger than ${deps.maxBytes} bytes`);
    }
    const { service_name: serviceName, file_name: fileName, import_id: importId } = query;
    if (importId && (await deps.imports.get(importId)))
      throw new HttpError(
        409,
        'import_exists',
        `an import ${importId} exists; upload with another import_id`,
      );
    try {
      const job = await importCallExport(ctx.req, {
        configuration: await deps.cache.current(),
        calls: deps.calls,
        imports: deps.imports,
        maxBytes: deps.maxBytes,
        ...(serviceName ? { serviceName } : {}),
        ...(fileName ? { fileName: fileName.slice(0, 200) } : {}),
        ...(importId ? { importId } : {}),
        by: principalOf(ctx).name,
      });
      await recordAudit(ctx, deps.audit, importAudit(job));
      ctx.set('Location', `/calls/imports/${job.importId}`);
      ctx.body = describeImport(job);
    } catch (error) {
      if (!(error instanceof ImportRejectedError)) throw error;
      await recordAudit(ctx, deps.audit, importAudit(error.job, error.message));
      // The rest of the upload is not read: the connection closes after the answer.
      ctx.set('Connection', 'close');
      throw new HttpError(error.status, error.status === 413 ? 'too_large' : 'bad_csv', error.message, {
        import: describeImport(error.job),
      });
    }
  });

  serve(router, operations.imports, async (ctx: Koa.Context) => {
    const answer = { imports: (await deps.imports.list(50)).map(describeImport) };
    respond(ctx, answer, () => renderImportsPage(ctx, answer, deps.maxBytes));
  });

  const jobOf = async (importId: string) => {
    const job = await deps.imports.get(importId);
    if (!job) throw new HttpError(404, 'unknown_import', `no import ${importId}`);
    return job;
  };

  serve(router, operations.importJob, async (ctx: Koa.Context, { params }) => {
    const answer = describeImport(await jobOf(params.id));
    respond(ctx, answer, () => renderImportPage(ctx, answer));
  });

  serve(router, operations.importErrorsCsv, async (ctx: Koa.Context, { params }) => {
    const job = await jobOf(params.id);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="import-${job.importId}-errors.csv"`);
    ctx.body = rowErrorsCsv(job.rowErrors);
  });

  return router;
}
