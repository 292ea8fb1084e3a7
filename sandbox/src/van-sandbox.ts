import Koa from 'koa';
import Router from '@koa/router';
import { sandboxControlRouter } from './control-routes';
import { bodyParser } from '@koa/bodyparser';
import { z } from 'zod';
import type { VanErrorItem } from '@call-sync/core';
import { loadFixture, vanUserIdOf, type VanFixture, type VanKeyFixture } from './fixture';
import {
  listen,
  pause,
  SlidingWindowCounter,
  type ListenOptions,
  type RunningServer,
} from './running-server';
import { checkCanvassResponse, DEFAULT_CONTACT_TYPES, DEFAULT_INPUT_TYPES } from './van-canvass-rules';
import { createBulkImport, type BulkImportKnobs, type BulkImportSandbox } from './van-bulk-import';

/** How the sandbox misbehaves; every rate is a probability between 0 and 1 per request. */
export interface VanKnobs {
  /** Added to every answer. */
  latencyMs: number;
  /** Random 429s, as VAN answers when its own limits trip. */
  throttleRate: number;
  /** Share of 429s that carry a Retry-After header (VAN often sends none). */
  retryAfterRate: number;
  retryAfterSeconds: number;
  /** N in the 429 body's "Try again in N ms." */
  throttleHintMs: number;
  /** Requests per second per key; null = each key's profile (fixture), 0 = unlimited. */
  rateLimitPerSecond: number | null;
  serverErrorRate: number;
  /** Error pages served as text/html by a proxy in front of VAN. */
  htmlErrorRate: number;
  timeoutRate: number;
  /** A "timed out" request is answered after this many ms (and processed); null = never answered. */
  timeoutAnswerAfterMs: number | null;
}

export const DEFAULT_VAN_KNOBS: VanKnobs = {
  latencyMs: 0,
  throttleRate: 0,
  retryAfterRate: 0,
  retryAfterSeconds: 1,
  throttleHintMs: 30,
  rateLimitPerSecond: null,
  serverErrorRate: 0,
  htmlErrorRate: 0,
  timeoutRate: 0,
  timeoutAnswerAfterMs: null,
};

/** Deterministic failures: `429` (hint only), `429-retry-after`, `5xx`, `html`, `timeout` (see knobs). */
export type VanFaultKind =
  '429' | '429-retry-after' | '5xx' | 'html' | 'timeout' | 'truncated-json' | 'error-200';
const FAULT_KINDS = [
  '429',
  '429-retry-after',
  '5xx',
  'html',
  'timeout',
  'truncated-json',
  'error-200',
] as const;

/** A write the sandbox received. Holds the key's application name, never the key. */
export interface VanJournalEntry {
  seq: number;
  at: string;
  method: string;
  path: string;
  vanId: number | null;
  applicationName: string;
  body: unknown;
  /** null while unanswered, and for a request the sandbox never answered. */
  status: number | null;
  fault?: VanFaultKind;
  errors?: VanErrorItem[];
  /** A row a bulk import job applied (method `BULK`), so tests count per-call and bulk writes alike. */
  bulk?: { jobId: number; row: number };
}

/** Every request, writes and reads, for tests that count attempts or measure rates. */
export interface VanRequestLogEntry {
  at: number;
  method: string;
  path: string;
  applicationName: string;
  status: number | null;
}

export interface VanSandboxOptions extends ListenOptions {
  fixture?: VanFixture;
  knobs?: Partial<VanKnobs>;
  bulkImport?: Partial<BulkImportKnobs>;
  /** Replaces Math.random for the random knobs. */
  random?: () => number;
}

export interface VanSandbox extends RunningServer {
  knobs(): VanKnobs;
  setKnobs(changes: Partial<VanKnobs>): VanKnobs;
  failNextPosts(count: number, kind: VanFaultKind): void;
  failNextRequests(count: number, kind: VanFaultKind, method?: 'GET' | 'POST'): void;
  journal(filter?: { vanId?: number }): VanJournalEntry[];
  resetJournal(): void;
  requestLog(): VanRequestLogEntry[];
  /** VAN Bulk Import: its knobs and the jobs it received (van-bulk-import.ts). */
  bulkImport: BulkImportSandbox;
  /** Back to the start knobs, with an empty journal and no pending failures. */
  reset(): void;
}

const knobChanges = z
  .object({
    latencyMs: z.number().min(0),
    throttleRate: z.number().min(0).max(1),
    retryAfterRate: z.number().min(0).max(1),
    retryAfterSeconds: z.number().int().min(0),
    throttleHintMs: z.number().int().min(0),
    rateLimitPerSecond: z.number().min(0).nullable(),
    serverErrorRate: z.number().min(0).max(1),
    htmlErrorRate: z.number().min(0).max(1),
    timeoutRate: z.number().min(0).max(1),
    timeoutAnswerAfterMs: z.number().min(0).nullable(),
  })
  .partial()
  .strict();

const failNextRequest = z.object({
  count: z.number().int().min(1),
  kind: z.enum(FAULT_KINDS),
  method: z.enum(['GET', 'POST']).optional(),
});

const HTML_ERROR_PAGE =
  '<html><head><title>503 Service Temporarily Unavailable</title></head>' +
  '<body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>';

interface PendingFailure {
  kind: VanFaultKind;
  method: 'GET' | 'POST' | undefined;
}

type VanState = { key: VanKeyFixture; applicationName: string };

export async function startVanSandbox(opts: VanSandboxOptions = {}): Promise<VanSandbox> {
  const fixture = opts.fixture ?? loadFixture().van;
  const random = opts.random ?? Math.random;
  const startKnobs: VanKnobs = { ...DEFAULT_VAN_KNOBS, ...opts.knobs };
  let knobs: VanKnobs = { ...startKnobs };
  let journal: VanJournalEntry[] = [];
  let requestLog: VanRequestLogEntry[] = [];
  let pendingFailures: PendingFailure[] = [];
  let seq = 0;
  const windows = new SlidingWindowCounter();
  const closing = new AbortController();
  const bulkImport = createBulkImport({
    ...(opts.bulkImport ? { knobs: opts.bulkImport } : {}),
    isInFixture: (vanId) => isInFixture(vanId),
    closing: closing.signal,
    journal: (row) => {
      journal.push({
        seq: (seq += 1),
        at: new Date().toISOString(),
        method: 'BULK',
        path: `/v4/bulkImportJobs/${row.jobId}`,
        vanId: row.vanId,
        applicationName: row.applicationName,
        body: row.body,
        status: 204,
        bulk: { jobId: row.jobId, row: row.row },
      });
    },
  });

  const setKnobs = (changes: Partial<VanKnobs>): VanKnobs => {
    knobs = { ...knobs, ...knobChanges.parse(changes) };
    return knobs;
  };
  const failNextRequests = (count: number, kind: VanFaultKind, method?: 'GET' | 'POST'): void => {
    for (let i = 0; i < count; i += 1) pendingFailures.push({ kind, method });
  };
  const readJournal = (filter: { vanId?: number } = {}): VanJournalEntry[] =>
    journal.filter((entry) => filter.vanId === undefined || entry.vanId === filter.vanId);
  const reset = (): void => {
    knobs = { ...startKnobs };
    journal = [];
    requestLog = [];
    pendingFailures = [];
    windows.reset();
    bulkImport.reset();
  };

  const vanError = (
    ctx: Koa.Context,
    status: number,
    errors: Omit<VanErrorItem, 'referenceCode'>[],
  ): void => {
    ctx.status = status;
    ctx.body = { errors: errors.map((error) => ({ ...error, referenceCode: referenceCode() })) };
  };
  const referenceCode = (): string => `SBX-${Date.now().toString(36).toUpperCase()}-${(seq += 1)}`;

  const app = new Koa();

  // Malformed JSON must come back in VAN's error shape, not koa's plain text.
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const status = (err as { status?: number }).status ?? 500;
      vanError(ctx, status, [
        { code: status === 400 ? 'INVALID_PARAMETER' : 'INTERNAL_SERVER_ERROR', text: String(err) },
      ]);
    }
  });
  app.use(bodyParser({ enableTypes: ['json'] }));

  const control = sandboxControlRouter({
    knobs: () => knobs,
    knobChanges,
    setKnobs,
    reset,
    failNext: {
      schema: failNextRequest,
      queue: (fault) => failNextRequests(fault.count, fault.kind, fault.method),
    },
  });
  control.get('/journal', (ctx) => {
    const vanId = ctx.query.vanId === undefined ? undefined : Number(ctx.query.vanId);
    ctx.body = { entries: readJournal(vanId === undefined ? {} : { vanId }) };
  });
  control.delete('/journal', (ctx) => {
    journal = [];
    ctx.status = 204;
  });
  bulkImport.addControlRoutes(control);
  app.use(control.routes());
  app.use(bulkImport.resultFiles);

  const keyFor = (authorization: string | undefined): VanState | { applicationName: string } => {
    const match = /^Basic\s+(.+)$/i.exec(authorization ?? '');
    if (!match?.[1]) return { applicationName: '' };
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const applicationName = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    const bar = password.lastIndexOf('|');
    const apiKey = password.slice(0, bar);
    const mode = password.slice(bar + 1);
    // A right key in the wrong mode is refused exactly like a wrong key, as VAN does.
    const key = fixture.keys.find(
      (k) =>
        bar > 0 && k.applicationName === applicationName && k.apiKey === apiKey && String(k.mode) === mode,
    );
    return key ? { key, applicationName } : { applicationName };
  };

  const takeFailure = (method: string): VanFaultKind | undefined => {
    const index = pendingFailures.findIndex((f) => f.method === undefined || f.method === method);
    if (index < 0) return undefined;
    const [failure] = pendingFailures.splice(index, 1);
    return failure?.kind;
  };
  const randomFailure = (): VanFaultKind | undefined => {
    if (random() < knobs.timeoutRate) return 'timeout';
    if (random() < knobs.throttleRate) return random() < knobs.retryAfterRate ? '429-retry-after' : '429';
    if (random() < knobs.serverErrorRate) return '5xx';
    if (random() < knobs.htmlErrorRate) return 'html';
    return undefined;
  };

  const answerThrottled = (ctx: Koa.Context, withRetryAfter: boolean): void => {
    if (withRetryAfter) ctx.set('Retry-After', String(knobs.retryAfterSeconds));
    // VAN's code here is the string "429" and there is no referenceCode.
    ctx.status = 429;
    ctx.body = {
      errors: [{ code: '429', text: `Rate limit exceeded. Try again in ${knobs.throttleHintMs} ms.` }],
    };
  };

  // The front door of /v4: latency, auth, limits, injected faults and the journal, before any route.
  app.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/v4/')) return next();
    const isWrite = ctx.method !== 'GET';
    const caller = keyFor(ctx.get('authorization'));
    const logEntry: VanRequestLogEntry = {
      at: Date.now(),
      method: ctx.method,
      path: ctx.path,
      applicationName: caller.applicationName,
      status: null,
    };
    requestLog.push(logEntry);
    const vanIdMatch = /^\/v4\/people\/([^/]+)\//.exec(ctx.path);
    const entry: VanJournalEntry | undefined = isWrite
      ? {
          seq: (seq += 1),
          at: new Date().toISOString(),
          method: ctx.method,
          path: ctx.path,
          vanId: vanIdMatch?.[1] && /^\d+$/.test(vanIdMatch[1]) ? Number(vanIdMatch[1]) : null,
          applicationName: caller.applicationName,
          body: ctx.request.body ?? null,
          status: null,
        }
      : undefined;
    if (entry) journal.push(entry);

    await pause(knobs.latencyMs, closing.signal);
    await answer(ctx, caller, entry, next);
    if (closing.signal.aborted) return;
    logEntry.status = ctx.status;
    if (entry) {
      entry.status = ctx.status;
      const errors = (ctx.body as { errors?: VanErrorItem[] } | undefined)?.errors;
      if (errors) entry.errors = errors;
    }
  });

  async function answer(
    ctx: Koa.Context,
    caller: VanState | { applicationName: string },
    entry: VanJournalEntry | undefined,
    next: Koa.Next,
  ): Promise<void> {
    if (!('key' in caller)) {
      vanError(ctx, 401, [{ code: 'UNAUTHORIZED', text: 'Authorization has been denied for this request.' }]);
      return;
    }
    const limit = knobs.rateLimitPerSecond ?? caller.key.ratePerSecond ?? 15;
    if (!windows.admit(`${caller.key.applicationName}/${caller.key.apiKey}`, limit)) {
      answerThrottled(ctx, random() < knobs.retryAfterRate);
      return;
    }
    const fault = takeFailure(ctx.method) ?? randomFailure();
    if (fault && entry) entry.fault = fault;
    switch (fault) {
      case '429':
      case '429-retry-after':
        answerThrottled(ctx, fault === '429-retry-after');
        return;
      case '5xx':
        vanError(ctx, 500, [{ code: 'INTERNAL_SERVER_ERROR', text: 'An unknown error occurred.' }]);
        return;
      case 'html':
        ctx.status = 503;
        ctx.type = 'text/html';
        ctx.body = HTML_ERROR_PAGE;
        return;
      case 'truncated-json':
        // A connection cut by a proxy mid-answer: a 200 JSON body that stops half way.
        ctx.status = 200;
        ctx.type = 'application/json';
        ctx.body = '{"items":[{"resultCodeId":1,"name":"Not H';
        return;
      case 'error-200':
        // Some gateways answer errors with a 200 status and VAN's error body.
        ctx.status = 200;
        ctx.body = { errors: [{ code: 'INTERNAL_SERVER_ERROR', text: 'An unknown error occurred.' }] };
        return;
      case 'timeout':
        if (knobs.timeoutAnswerAfterMs === null) {
          await pause(Number.POSITIVE_INFINITY, closing.signal);
          ctx.respond = false;
          return;
        }
        // A slow answer is still processed: the caller that gave up does not know the outcome.
        await pause(knobs.timeoutAnswerAfterMs, closing.signal);
        break;
      default:
        break;
    }
    ctx.state.van = caller;
    await next();
  }

  const isInFixture = (vanId: number): boolean =>
    (fixture.people.ids ?? []).includes(vanId) ||
    (fixture.people.ranges ?? []).some((range) => vanId >= range.from && vanId <= range.to);

  const v4 = new Router({ prefix: '/v4' });
  const keyOf = (ctx: Koa.Context): VanKeyFixture => (ctx.state.van as VanState).key;

  v4.get('/apiKeyProfiles', (ctx) => {
    const key = keyOf(ctx);
    ctx.body = [
      {
        databaseName: key.databaseName ?? (key.mode === 1 ? 'MyCampaign Sandbox' : 'SmartVAN Sandbox'),
        hasMyVoters: key.mode === 0,
        hasMyCampaign: key.mode === 1,
        committeeName: key.committeeName ?? 'Sandbox Committee',
        apiKeyTypeName: 'Custom Integration',
        keyReference: key.apiKey.slice(-4),
        userFirstName: 'Sandbox',
        userLastName: 'User',
        username: 'sandbox.user',
        userId: vanUserIdOf(key),
      },
    ];
  });

  const page = (ctx: Koa.Context, all: { status?: string }[]): void => {
    const top = ctx.query.$top === undefined ? 50 : Number(ctx.query.$top);
    const skip = ctx.query.$skip === undefined ? 0 : Number(ctx.query.$skip);
    if (!Number.isInteger(top) || top < 1 || top > 200) {
      vanError(ctx, 400, [
        {
          code: 'INVALID_PARAMETER',
          text: "'$top' must be an integer between 1 and 200.",
          properties: ['$top'],
        },
      ]);
      return;
    }
    if (!Number.isInteger(skip) || skip < 0) {
      vanError(ctx, 400, [
        { code: 'INVALID_PARAMETER', text: "'$skip' must be a non-negative integer.", properties: ['$skip'] },
      ]);
      return;
    }
    const statuses =
      typeof ctx.query.statuses === 'string' ? ctx.query.statuses.toLowerCase().split(',') : null;
    const matching = statuses
      ? all.filter((item) => statuses.includes((item.status ?? 'Active').toLowerCase()))
      : all;
    let nextPageLink: string | null = null;
    if (skip + top < matching.length) {
      // VAN's next link is absolute; built from the Host the caller used, so port mapping still works.
      const query = new URLSearchParams(ctx.querystring);
      query.set('$top', String(top));
      query.set('$skip', String(skip + top));
      nextPageLink = `${ctx.protocol}://${ctx.host}${ctx.path}?${query.toString().replace(/%24/g, '$')}`;
    }
    ctx.body = { items: matching.slice(skip, skip + top), nextPageLink, count: matching.length };
  };

  v4.get('/surveyQuestions', (ctx) => page(ctx, keyOf(ctx).surveyQuestions));
  v4.get('/activistCodes', (ctx) => page(ctx, keyOf(ctx).activistCodes));
  v4.get('/canvassResponses/resultCodes', (ctx) => {
    ctx.body = keyOf(ctx).resultCodes;
  });
  v4.get('/canvassResponses/contactTypes', (ctx) => {
    ctx.body = keyOf(ctx).contactTypes ?? DEFAULT_CONTACT_TYPES;
  });
  v4.get('/canvassResponses/inputTypes', (ctx) => {
    ctx.body = keyOf(ctx).inputTypes ?? DEFAULT_INPUT_TYPES;
  });
  v4.post('/people/:vanId/canvassResponses', (ctx) => {
    const vanId = Number(ctx.params.vanId);
    if (!/^\d+$/.test(ctx.params.vanId ?? '') || !isInFixture(vanId)) {
      vanError(ctx, 404, [
        { code: 'NOT_FOUND', text: 'The specified person could not be found.', properties: ['vanId'] },
      ]);
      return;
    }
    const violations = checkCanvassResponse(ctx.request.body, keyOf(ctx));
    if (violations.length > 0) {
      vanError(ctx, 400, violations);
      return;
    }
    ctx.status = 204;
  });
  bulkImport.addRoutes(v4, keyOf);
  app.use(v4.routes());
  app.use(v4.allowedMethods());
  app.use((ctx) => {
    vanError(ctx, 404, [{ code: 'NOT_FOUND', text: 'The specified resource cannot be found.' }]);
  });

  const server = await listen(app, opts, () => closing.abort());
  return {
    ...server,
    knobs: () => knobs,
    setKnobs,
    failNextPosts: (count, kind) => failNextRequests(count, kind, 'POST'),
    failNextRequests,
    journal: readJournal,
    resetJournal: () => {
      journal = [];
    },
    requestLog: () => requestLog,
    bulkImport,
    reset,
  };
}
