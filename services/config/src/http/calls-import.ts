import Router from '@koa/router';
import type Koa from 'koa';
import type { OperatorCalls } from '@call-sync/store';
import type { ConfigCache } from '../config-cache';
import { ImportRejectedError, importCallExport } from '../calls-import';
import type { ImportJobDocument, ImportsRepository } from '../data-access/imports-repository';
import { HttpError } from './http-error';
import { operations } from './api/operations';
import { serve } from './serve-operation';
import type { AuditRepository } from '../data-access/audit-repository';
import { recordAudit } from './audit';

const ACCEPTED_TYPES = ['text/csv', 'text/plain', 'application/csv', 'application/octet-stream'];

function describeImport(job: ImportJobDocument) {
  const { _id: _omit, ...rest } = job;
  const seconds = (job.durationMs ?? Date.now() - job.startedAt.getTime()) / 1000;
  return { ...rest, rowsPerSecond: seconds > 0 ? Math.round(job.counts.rows / seconds) : null };
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
    const { service_name: serviceName, file_name: fileName } = query;
    try {
      const job = await importCallExport(ctx.req, {
        configuration: await deps.cache.current(),
        calls: deps.calls,
        imports: deps.imports,
        maxBytes: deps.maxBytes,
        ...(serviceName ? { serviceName } : {}),
        ...(fileName ? { fileName: fileName.slice(0, 200) } : {}),
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
    ctx.body = { imports: (await deps.imports.list(50)).map(describeImport) };
  });

  serve(router, operations.importJob, async (ctx: Koa.Context, { params }) => {
    const importId = params.id;
    const job = await deps.imports.get(importId);
    if (!job) throw new HttpError(404, 'unknown_import', `no import ${importId}`);
    ctx.body = describeImport(job);
  });

  return router;
}
