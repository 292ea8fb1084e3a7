import type Koa from 'koa';
import type { Logger } from '@call-sync/platform';
import { renderErrorPage } from '../pages/error-page';
import { wantsHtml } from './negotiation';
import { ApiKeyNotLoadedError } from '../unloaded-api-key';

/**
 * An operational error with its HTTP status: bad parameters, unknown candidate, VAN down. Its
 * `detail` is shown to the caller, so it must never hold a key, a token or a stack.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'HttpError';
  }
}

/** What configure, validate and dry runs answer once the key's VAN day is spent: no crash, no 502. */
export const VAN_BUDGET_SPENT =
  "VAN's daily request budget for this key is spent; the pages work again tomorrow (Eastern).";

export function vanBudgetSpent(extra: Record<string, unknown> = {}): HttpError {
  return new HttpError(503, 'van_budget_spent', VAN_BUDGET_SPENT, extra);
}

/**
 * One error path for every route: typed errors become `{error, detail}` (or a page for a browser),
 * anything else a bare 500 whose error, with its stack, only goes to the log — a driver or client
 * error can carry a URL with credentials, so it never reaches the caller.
 */
export function errorHandler(logger: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new HttpError(404, 'not_found', `no route for ${ctx.method} ${ctx.path}`);
      }
    } catch (caught) {
      let error: HttpError;
      if (caught instanceof HttpError) error = caught;
      else if (caught instanceof ApiKeyNotLoadedError)
        error = new HttpError(503, 'van_key_not_loaded', caught.message);
      else if (isClientError(caught)) error = describeClientError(caught);
      else {
        logger.error({ err: caught, method: ctx.method, path: ctx.path }, 'request failed');
        error = new HttpError(500, 'internal', 'internal error; see the service log');
      }
      ctx.status = error.status;
      if (wantsHtml(ctx)) {
        ctx.type = 'html';
        ctx.body = renderErrorPage(ctx, error);
      } else {
        ctx.body = { error: error.error, detail: error.detail, ...error.extra };
      }
    }
  };
}

/** Errors koa and the body parser (co-body, raw-body) throw for the client's mistakes. */
function isClientError(error: unknown): error is { status: number; message: string; expose?: boolean } {
  const status = (error as { status?: unknown })?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

// A parser's message can quote the body it choked on, so only koa's own exposed messages pass.
function describeClientError(error: { status: number; message: string; expose?: boolean }): HttpError {
  if (error.status === 413) return new HttpError(413, 'too_large', 'the request body is larger than allowed');
  if (error.status === 415) return new HttpError(415, 'unsupported_type', 'unsupported content type');
  const detail =
    error.expose && !/body/i.test(error.message)
      ? error.message
      : 'the request body could not be read (malformed JSON or form)';
  return new HttpError(error.status, 'bad_request', detail);
}
