import Airtable from 'airtable';
import { getKeyRateLimiter, type KeyRateLimiter } from './key-rate-limiter';
import { fullJitterBackoffMs, withRetries } from './retries';

type AirtableFields = Record<string, unknown>;
interface AirtableRecord {
  id: string;
  /** As Airtable sends them: empty cells and unchecked checkboxes are absent. */
  fields: AirtableFields;
}

export interface AirtableClientOptions {
  apiKey: string;
  baseId: string;
  /** Airtable's API root; the sandbox's URL in tests and demos. */
  endpointUrl?: string;
  requestTimeoutMs?: number;
  /** Airtable allows 5 requests/s per base, across all our clients of that base; default 4. */
  ratePerSecond?: number;
  rateLimiter?: KeyRateLimiter;
  /** Up to 100, Airtable's maximum. */
  pageSize?: number;
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
}

export interface AirtableClient {
  listAllRecords(table: string): Promise<AirtableRecord[]>;
}

const TRANSIENT_TYPES = new Set([
  'TOO_MANY_REQUESTS',
  'SERVER_ERROR',
  'SERVICE_UNAVAILABLE',
  'CONNECTION_ERROR',
]);

/** Airtable failed us; the message names the table and Airtable's error type, never the token. */
export class AirtableRequestError extends Error {
  readonly table: string;
  readonly status: number | undefined;
  readonly type: string;
  /** Throttling, Airtable's own failures and lost connections: worth asking again. */
  readonly transient: boolean;
  constructor(table: string, status: number | undefined, type: string, detail: string) {
    super(`Airtable ${type}${status ? ` (${status})` : ''} reading table "${table}": ${detail}`);
    this.name = 'AirtableRequestError';
    this.table = table;
    this.status = status;
    this.type = type;
    this.transient = TRANSIENT_TYPES.has(type) || (status !== undefined && status >= 500);
  }
}

// A step under Airtable's 5 requests/s, so timer jitter never tips a second over the limit.
const AIRTABLE_RATE_PER_SECOND = 4;

export function createAirtableClient(opts: AirtableClientOptions): AirtableClient {
  const base = new Airtable({
    apiKey: opts.apiKey,
    endpointUrl: opts.endpointUrl ?? 'https://api.airtable.com',
    requestTimeout: opts.requestTimeoutMs ?? 30_000,
    // airtable.js retries a 429 by itself, but without end and starting at a fixed 5 s
    // (INITIAL_RETRY_DELAY_IF_RATE_LIMITED, up to 10 minutes), ignoring Retry-After, and its paging
    // (`eachPage`) cannot resume a page after an error. We turn that off and page with
    // base.makeRequest ourselves: the limiter below keeps us under 5 req/s so a 429 is rare, and
    // when one comes our bounded, configurable backoff retries just that page.
    noRetryIfRateLimited: true,
  }).base(opts.baseId);
  const ratePerSecond = opts.ratePerSecond ?? AIRTABLE_RATE_PER_SECOND;
  // A configuration read is a handful of requests after a quiet hour: they may leave together,
  // as long as no second holds more than the rate, rather than wait out a pacing at every start.
  const rateLimiter =
    opts.rateLimiter ??
    getKeyRateLimiter(`airtable:${opts.baseId}`, ratePerSecond, { burst: Math.floor(ratePerSecond) });
  const pageSize = Math.min(100, Math.max(1, opts.pageSize ?? 100));
  const maxAttempts = opts.retry?.maxAttempts ?? 6;
  // Airtable asks for a 30 s pause after a 429, hence the generous defaults.
  const baseDelayMs = opts.retry?.baseDelayMs ?? 2_000;
  const maxDelayMs = opts.retry?.maxDelayMs ?? 30_000;

  const readPage = (
    table: string,
    offset: string | undefined,
  ): Promise<{ records: unknown; offset?: unknown }> =>
    withRetries(
      async () => {
        await rateLimiter.acquire();
        try {
          const response = await base.makeRequest({
            method: 'GET',
            path: `/${encodeURIComponent(table)}`,
            qs: offset ? { pageSize, offset } : { pageSize },
          });
          return response.body as { records: unknown; offset?: unknown };
        } catch (err) {
          const { error, message, statusCode } = err as {
            error?: string;
            message?: string;
            statusCode?: number;
          };
          throw new AirtableRequestError(
            table,
            statusCode ?? undefined,
            error ?? 'UNKNOWN',
            message ?? 'request failed',
          );
        }
      },
      {
        maxAttempts,
        delayMs: (attempt) => fullJitterBackoffMs(attempt - 1, baseDelayMs, maxDelayMs),
        retryable: (error) => error instanceof AirtableRequestError && error.transient,
      },
    );

  return {
    async listAllRecords(table: string): Promise<AirtableRecord[]> {
      const records: AirtableRecord[] = [];
      let offset: string | undefined;
      do {
        const page = await readPage(table, offset);
        if (!Array.isArray(page.records)) {
          throw new AirtableRequestError(table, undefined, 'UNEXPECTED_ANSWER', 'no records array');
        }
        for (const record of page.records as { id?: unknown; fields?: unknown }[]) {
          if (typeof record.id !== 'string') continue;
          records.push({ id: record.id, fields: (record.fields ?? {}) as AirtableFields });
        }
        offset = typeof page.offset === 'string' ? page.offset : undefined;
      } while (offset);
      return records;
    },
  };
}
