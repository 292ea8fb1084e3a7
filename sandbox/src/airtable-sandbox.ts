import Koa from 'koa';
import Router from '@koa/router';
import { sandboxControlRouter, throttleOrOutageFault, type ThrottleOrOutageKind } from './control-routes';
import { bodyParser } from '@koa/bodyparser';
import { z } from 'zod';
import { loadFixture, type AirtableFieldValue, type AirtableFixture } from './fixture';
import {
  listen,
  pause,
  SlidingWindowCounter,
  type ListenOptions,
  type RunningServer,
} from './running-server';

export interface AirtableKnobs {
  latencyMs: number;
  /** Airtable allows 5 requests/s per base and answers 429 beyond; 0 turns the limit off. */
  ratePerSecondPerBase: number;
}
export const DEFAULT_AIRTABLE_KNOBS: AirtableKnobs = { latencyMs: 0, ratePerSecondPerBase: 5 };

export type AirtableFaultKind = ThrottleOrOutageKind;

export interface AirtableRequestLogEntry {
  at: number;
  path: string;
  status: number;
  offset: string | null;
}

export interface AirtableSandboxOptions extends ListenOptions {
  fixture?: AirtableFixture;
  knobs?: Partial<AirtableKnobs>;
}

export interface AirtableSandbox extends RunningServer {
  knobs(): AirtableKnobs;
  setKnobs(changes: Partial<AirtableKnobs>): AirtableKnobs;
  failNextRequests(count: number, kind: AirtableFaultKind): void;
  requestLog(): AirtableRequestLogEntry[];
  reset(): void;
}

const knobChanges = z
  .object({ latencyMs: z.number().min(0), ratePerSecondPerBase: z.number().min(0) })
  .partial()
  .strict();

const airtableError = (type: string, message: string) => ({ error: { type, message } });

// Airtable leaves out empty cells and unchecked checkboxes instead of sending false or "";
// readers must treat a missing Success as false. Enforced here whatever the fixture holds.
function withoutEmptyCells(fields: Record<string, AirtableFieldValue>): Record<string, AirtableFieldValue> {
  return Object.fromEntries(
    Object.entries(fields).filter(
      ([, value]) =>
        value !== false && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0),
    ),
  );
}

// The offset is opaque to callers; ours names the next record so a stale or forged offset is caught.
const encodeOffset = (index: number, recordId: string): string =>
  `itr${Buffer.from(String(index)).toString('base64url')}/${recordId}`;
function decodeOffset(offset: string): { index: number; recordId: string } | undefined {
  const match = /^itr([A-Za-z0-9_-]+)\/(.+)$/.exec(offset);
  if (!match?.[1] || !match[2]) return undefined;
  const index = Number(Buffer.from(match[1], 'base64url').toString('utf8'));
  return Number.isInteger(index) && index >= 0 ? { index, recordId: match[2] } : undefined;
}

export async function startAirtableSandbox(opts: AirtableSandboxOptions = {}): Promise<AirtableSandbox> {
  const fixture = opts.fixture ?? loadFixture().airtable;
  const startKnobs: AirtableKnobs = { ...DEFAULT_AIRTABLE_KNOBS, ...opts.knobs };
  let knobs = { ...startKnobs };
  let pendingFailures: AirtableFaultKind[] = [];
  let requestLog: AirtableRequestLogEntry[] = [];
  const windows = new SlidingWindowCounter();
  const closing = new AbortController();

  const setKnobs = (changes: Partial<AirtableKnobs>): AirtableKnobs => {
    knobs = { ...knobs, ...knobChanges.parse(changes) };
    return knobs;
  };
  const failNextRequests = (count: number, kind: AirtableFaultKind): void => {
    for (let i = 0; i < count; i += 1) pendingFailures.push(kind);
  };
  const reset = (): void => {
    knobs = { ...startKnobs };
    pendingFailures = [];
    requestLog = [];
    windows.reset();
  };

  const app = new Koa();
  app.use(bodyParser({ enableTypes: ['json'] }));

  const control = sandboxControlRouter({
    knobs: () => knobs,
    knobChanges,
    setKnobs,
    reset,
    failNext: { schema: throttleOrOutageFault, queue: (fault) => failNextRequests(fault.count, fault.kind) },
  });
  app.use(control.routes());

  const v0 = new Router({ prefix: '/v0' });
  v0.get('/:baseId/:table', async (ctx) => {
    const offset = typeof ctx.query.offset === 'string' ? ctx.query.offset : null;
    await pause(knobs.latencyMs, closing.signal);
    answerList(ctx, offset);
    requestLog.push({ at: Date.now(), path: ctx.path, status: ctx.status, offset });
  });

  function answerList(ctx: Koa.Context, offset: string | null): void {
    const baseId = ctx.params.baseId ?? '';
    const tableName = ctx.params.table ?? '';
    const base = fixture.bases.find((b) => b.baseId === baseId);
    const token = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization'))?.[1];
    if (!token || !base?.apiKeys.includes(token)) {
      ctx.status = 401;
      ctx.body = airtableError('AUTHENTICATION_REQUIRED', 'Authentication required');
      return;
    }
    if (!windows.admit(baseId, knobs.ratePerSecondPerBase) || pendingFailures[0] === '429') {
      if (pendingFailures[0] === '429') pendingFailures.shift();
      ctx.status = 429;
      ctx.body = {
        errors: [{ error: 'RATE_LIMIT_REACHED', message: 'Rate limit exceeded. Please try again later' }],
      };
      return;
    }
    if (pendingFailures[0] === '5xx') {
      pendingFailures.shift();
      ctx.status = 503;
      ctx.body = airtableError('SERVICE_UNAVAILABLE', 'The service is temporarily unavailable.');
      return;
    }
    const records = base.tables[tableName];
    if (!records) {
      ctx.status = 404;
      ctx.body = airtableError(
        'TABLE_NOT_FOUND',
        `Could not find table ${tableName} in application ${baseId}`,
      );
      return;
    }
    const pageSize = ctx.query.pageSize === undefined ? 100 : Number(ctx.query.pageSize);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
      ctx.status = 422;
      ctx.body = airtableError('INVALID_PAGE_SIZE', 'pageSize must be an integer from 1 to 100');
      return;
    }
    let start = 0;
    if (offset !== null) {
      const decoded = decodeOffset(offset);
      if (!decoded || records[decoded.index]?.id !== decoded.recordId) {
        ctx.status = 422;
        ctx.body = airtableError(
          'LIST_RECORDS_ITERATOR_NOT_AVAILABLE',
          'The offset is invalid or has expired',
        );
        return;
      }
      start = decoded.index;
    }
    const page = records.slice(start, start + pageSize);
    const next = records[start + pageSize];
    ctx.body = {
      records: page.map((record) => ({
        id: record.id,
        createdTime: record.createdTime ?? '2026-01-05T15:00:00.000Z',
        fields: withoutEmptyCells(record.fields),
      })),
      ...(next ? { offset: encodeOffset(start + pageSize, next.id) } : {}),
    };
  }

  app.use(v0.routes());
  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = airtableError('NOT_FOUND', 'Could not find what you are looking for');
  });

  const server = await listen(app, opts, () => closing.abort());
  return {
    ...server,
    knobs: () => knobs,
    setKnobs,
    failNextRequests,
    requestLog: () => requestLog,
    reset,
  };
}
