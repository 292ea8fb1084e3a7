import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import Router from '@koa/router';
import { sandboxControlRouter, throttleOrOutageFault, type ThrottleOrOutageKind } from './control-routes';
import { bodyParser } from '@koa/bodyparser';
import { z } from 'zod';
import { loadFixture, type LivevoxFixture } from './fixture';
import { listen, pause, type ListenOptions, type RunningServer } from './running-server';

export interface LivevoxKnobs {
  latencyMs: number;
  /** Idle time after which a session is refused; each use extends it, as Livevox's do. */
  sessionTtlMs: number;
  /**
   * The dialer's clock (epoch ms), for a day played in compressed time: call detail lists only the
   * calls that have ended by then, as a live dialer does. Null: every call has ended.
   */
  clockMs: number | null;
}
export const DEFAULT_LIVEVOX_KNOBS: LivevoxKnobs = {
  latencyMs: 0,
  sessionTtlMs: 2 * 60 * 60 * 1000,
  clockMs: null,
};

export interface LivevoxRequestLogEntry {
  at: number;
  method: string;
  path: string;
  status: number;
}

export interface LivevoxSandboxOptions extends ListenOptions {
  fixture?: LivevoxFixture;
  knobs?: Partial<LivevoxKnobs>;
}

/** `html`, `truncated-json` and `error-200` (unexpected answer shapes) are queued only through `failNextRequests`. */
export type LivevoxFaultKind = ThrottleOrOutageKind | 'html' | 'truncated-json' | 'error-200';

export interface LivevoxSandbox extends RunningServer {
  knobs(): LivevoxKnobs;
  /** The next `count` API requests (not the control routes) answer with this fault. */
  failNextRequests(count: number, kind: LivevoxFaultKind): void;
  setKnobs(changes: Partial<LivevoxKnobs>): LivevoxKnobs;
  /** Ends every session now, so the next request is answered 401. */
  expireSessions(): void;
  requestLog(): LivevoxRequestLogEntry[];
  reset(): void;
}

const knobChanges = z
  .object({ latencyMs: z.number().min(0), sessionTtlMs: z.number().min(0), clockMs: z.number().nullable() })
  .partial()
  .strict();
const loginBody = z.object({ userName: z.string(), password: z.string(), clientName: z.string() });
const callDetailBody = z.object({
  startDate: z.number().int(),
  endDate: z.number().int(),
  serviceId: z.number().int(),
});

const MAX_PAGE = 1000;
const livevoxError = (code: number, message: string) => ({ code, message });

export async function startLivevoxSandbox(opts: LivevoxSandboxOptions = {}): Promise<LivevoxSandbox> {
  const fixture = opts.fixture ?? loadFixture().livevox;
  const startKnobs: LivevoxKnobs = { ...DEFAULT_LIVEVOX_KNOBS, ...opts.knobs };
  let knobs = { ...startKnobs };
  let sessions = new Map<string, { userName: string; expiresAt: number }>();
  let requestLog: LivevoxRequestLogEntry[] = [];
  let pendingFailures: LivevoxFaultKind[] = [];
  const closing = new AbortController();

  const failNextRequests = (count: number, kind: LivevoxFaultKind): void => {
    for (let i = 0; i < count; i += 1) pendingFailures.push(kind);
  };

  const setKnobs = (changes: Partial<LivevoxKnobs>): LivevoxKnobs => {
    knobs = { ...knobs, ...knobChanges.parse(changes) };
    return knobs;
  };
  const reset = (): void => {
    knobs = { ...startKnobs };
    sessions = new Map();
    requestLog = [];
    pendingFailures = [];
  };

  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      ctx.status = (err as { status?: number }).status ?? 500;
      ctx.body = livevoxError(ctx.status, String(err));
    }
  });
  app.use(bodyParser({ enableTypes: ['json'] }));

  const control = sandboxControlRouter({
    knobs: () => knobs,
    knobChanges,
    setKnobs,
    reset,
    failNext: { schema: throttleOrOutageFault, queue: (fault) => failNextRequests(fault.count, fault.kind) },
  });
  control.post('/expire-sessions', (ctx) => {
    sessions.clear();
    ctx.status = 204;
  });
  app.use(control.routes());

  app.use(async (ctx, next) => {
    if (ctx.path.startsWith('/__sandbox')) return next();
    await pause(knobs.latencyMs, closing.signal);
    const fault = pendingFailures.shift();
    if (fault === '429') {
      ctx.status = 429;
      ctx.body = livevoxError(429, 'Too many requests');
    } else if (fault === '5xx') {
      ctx.status = 503;
      ctx.body = livevoxError(503, 'Service temporarily unavailable');
    } else if (fault === 'html') {
      ctx.status = 200;
      ctx.type = 'text/html';
      ctx.body = '<html><body><h1>Please sign in to the corporate proxy</h1></body></html>';
    } else if (fault === 'truncated-json') {
      ctx.status = 200;
      ctx.type = 'application/json';
      ctx.body = '{"callDetails":[{"id":"lv-1","account_number":"nc05-van-1000';
    } else if (fault === 'error-200') {
      ctx.status = 200;
      ctx.body = livevoxError(500, 'Internal reporting error');
    } else {
      await next();
    }
    requestLog.push({ at: Date.now(), method: ctx.method, path: ctx.path, status: ctx.status });
  });

  const api = new Router();
  api.post('/session/v6.0/login', (ctx) => {
    const parsed = loginBody.safeParse(ctx.request.body);
    const user =
      parsed.success &&
      fixture.users.find(
        (u) =>
          u.userName === parsed.data.userName &&
          u.password === parsed.data.password &&
          u.clientName.toLowerCase() === parsed.data.clientName.toLowerCase(),
      );
    if (!user) {
      ctx.status = 401;
      ctx.body = livevoxError(1002, 'Invalid user name, password or client name.');
      return;
    }
    const sessionId = randomUUID();
    sessions.set(sessionId, { userName: user.userName, expiresAt: Date.now() + knobs.sessionTtlMs });
    ctx.body = { sessionId, userId: 4242, daysUntilPasswordExpires: 90 };
  });

  // Everything but login needs a live session in the LV-Session header.
  const requireSession: Koa.Middleware = async (ctx, next) => {
    const sessionId = ctx.get('lv-session');
    const session = sessions.get(sessionId);
    if (!session || session.expiresAt <= Date.now()) {
      sessions.delete(sessionId);
      ctx.status = 401;
      ctx.body = livevoxError(1001, 'Session is invalid or has expired.');
      return;
    }
    session.expiresAt = Date.now() + knobs.sessionTtlMs;
    await next();
  };

  const paging = (ctx: Koa.Context): { offset: number; count: number } | undefined => {
    const offset = ctx.query.offset === undefined ? 0 : Number(ctx.query.offset);
    const count = ctx.query.count === undefined ? 500 : Number(ctx.query.count);
    if (
      !Number.isInteger(offset) ||
      offset < 0 ||
      !Number.isInteger(count) ||
      count < 1 ||
      count > MAX_PAGE
    ) {
      ctx.status = 400;
      ctx.body = livevoxError(400, `offset must be >= 0 and count from 1 to ${MAX_PAGE}.`);
      return undefined;
    }
    return { offset, count };
  };

  api.get('/configuration/v6.0/services', requireSession, (ctx) => {
    const page = paging(ctx);
    if (!page) return;
    const end = page.offset + page.count;
    ctx.body = {
      services: fixture.services.slice(page.offset, end),
      next: end < fixture.services.length ? end : null,
    };
  });

  api.post('/reporting/v6.0/standard/callDetail', requireSession, (ctx) => {
    const page = paging(ctx);
    if (!page) return;
    const parsed = callDetailBody.safeParse(ctx.request.body);
    if (!parsed.success || parsed.data.startDate >= parsed.data.endDate) {
      ctx.status = 400;
      ctx.body = livevoxError(
        400,
        'startDate and endDate (epoch ms, start before end) and serviceId are required.',
      );
      return;
    }
    const { startDate, endDate, serviceId } = parsed.data;
    if (!fixture.services.some((s) => s.id === serviceId)) {
      ctx.status = 400;
      ctx.body = livevoxError(400, `Unknown serviceId ${serviceId}.`);
      return;
    }
    const matching = fixture.calls
      .filter((c) => c.serviceId === serviceId && c.startMs >= startDate && c.startMs < endDate)
      .filter((c) => knobs.clockMs === null || (c.finishMs ?? c.startMs) <= knobs.clockMs)
      .sort((a, b) => a.startMs - b.startMs);
    const end = page.offset + page.count;
    ctx.body = {
      callDetails: matching.slice(page.offset, end).map((c) => c.row),
      total: matching.length,
      next: end < matching.length ? end : null,
    };
  });
  app.use(api.routes());
  app.use(api.allowedMethods());

  const server = await listen(app, opts, () => closing.abort());
  return {
    ...server,
    knobs: () => knobs,
    setKnobs,
    failNextRequests,
    expireSessions: () => sessions.clear(),
    requestLog: () => requestLog,
    reset,
  };
}
