import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { z } from 'zod';
import type { LivevoxCallRow } from '@call-sync/core';
import { fullJitterBackoffMs, withRetries } from './retries';

interface LivevoxService {
  id: number;
  name: string;
}

export interface LivevoxClientOptions {
  /** Livevox's API root, e.g. `https://api.na3.livevox.com`. */
  baseUrl: string;
  userName: string;
  password: string;
  clientName: string;
  timeoutMs?: number;
  /** Rows per call-detail page, up to 1000. */
  pageSize?: number;
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /**
   * The call-detail field holding VAN's phone id (wherever the campaign's list load put it, e.g.
   * an extra-data field); returned as `phone_id`. Unset: no phone ids are read.
   */
  phoneIdField?: string;
}

/** A window of call start times: start included, end excluded. */
interface CallWindow {
  start: Date;
  end: Date;
}

export interface LivevoxClient {
  listServices(): Promise<LivevoxService[]>;
  fetchCallDetail(serviceId: number, window: CallWindow): Promise<LivevoxCallRow[]>;
}

/** Livevox failed us; messages name the endpoint and Livevox's text, never the password or session. */
export class LivevoxError extends Error {
  readonly status: number | undefined;
  readonly endpoint: string;
  /** A lost connection, throttling, a 5xx or an unreadable answer: worth asking again. */
  readonly transient: boolean;
  constructor(endpoint: string, status: number | undefined, detail: string, transient = false) {
    super(`Livevox ${endpoint}${status ? ` (${status})` : ''}: ${detail}`);
    this.name = 'LivevoxError';
    this.endpoint = endpoint;
    this.status = status;
    this.transient = transient;
  }
}
export class LivevoxAuthError extends LivevoxError {
  constructor(endpoint: string, status: number | undefined, detail: string) {
    super(endpoint, status, detail);
    this.name = 'LivevoxAuthError';
  }
}

const cell = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((value) => (value === null || value === undefined ? '' : String(value)));
const callDetailRowShape = z.object({
  id: cell,
  account_number: cell,
  first_name: cell,
  last_name: cell,
  phone_dialed: cell,
  connect: cell,
  start: cell,
  finish: cell,
  caller_login: cell,
  result: cell,
  campaign_id: cell,
  service_name: cell,
});
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A page of call detail; with `phoneIdField`, that field is read into `phone_id`. */
function callDetailPageShape(phoneIdField: string | undefined) {
  const row = phoneIdField
    ? z.preprocess(
        (raw) => (isRecord(raw) ? { ...raw, phone_id: raw[phoneIdField] } : raw),
        callDetailRowShape.extend({ phone_id: cell }),
      )
    : callDetailRowShape;
  return z.object({ callDetails: z.array(row), next: z.number().int().nullish() });
}
const servicesPageShape = z.object({
  services: z.array(z.object({ id: z.number().int(), name: z.string() })),
  next: z.number().int().nullish(),
});
const loginShape = z.object({ sessionId: z.string().min(1) });

export function createLivevoxClient(opts: LivevoxClientOptions): LivevoxClient {
  const pageSize = Math.min(1000, Math.max(1, opts.pageSize ?? 1000));
  const pageShape = callDetailPageShape(opts.phoneIdField?.trim() || undefined);
  const maxAttempts = opts.retry?.maxAttempts ?? 3;
  const baseDelayMs = opts.retry?.baseDelayMs ?? 500;
  const maxDelayMs = opts.retry?.maxDelayMs ?? 10_000;
  const http: AxiosInstance = axios.create({
    baseURL: opts.baseUrl.replace(/\/+$/, ''),
    timeout: opts.timeoutMs ?? 60_000,
    headers: { Accept: 'application/json' },
    validateStatus: () => true,
    maxRedirects: 0,
  });

  // One login shared by every request of this client; concurrent callers await the same promise.
  let session: Promise<string> | undefined;

  async function login(): Promise<string> {
    const endpoint = '/session/v6.0/login';
    let response: AxiosResponse;
    try {
      response = await http.post(endpoint, {
        userName: opts.userName,
        password: opts.password,
        clientName: opts.clientName,
      });
    } catch (err) {
      // Only the code: the axios error's config holds the request body, password included.
      throw new LivevoxError(
        endpoint,
        undefined,
        `login failed (${(err as { code?: string }).code ?? 'network'})`,
      );
    }
    const parsed = loginShape.safeParse(response.data);
    if (response.status !== 200 || !parsed.success) {
      throw new LivevoxAuthError(
        endpoint,
        response.status,
        `login refused for user ${opts.userName} of client ${opts.clientName}: ${messageOf(response.data)}`,
      );
    }
    return parsed.data.sessionId;
  }

  const currentSession = (): Promise<string> => {
    session ??= login().catch((err: unknown) => {
      session = undefined;
      throw err;
    });
    return session;
  };

  async function send(
    method: 'GET' | 'POST',
    url: string,
    endpoint: string,
    body?: unknown,
  ): Promise<unknown> {
    let reloggedIn = false;
    return withRetries(
      async () => {
        // Sessions expire after idle time: a 401 logs in again, once, without spending an
        // attempt. A second 401 is a real refusal.
        for (;;) {
          const sessionPromise = currentSession();
          const sessionId = await sessionPromise;
          let response: AxiosResponse;
          try {
            response = await http.request({ method, url, data: body, headers: { 'LV-Session': sessionId } });
          } catch (err) {
            const code = (err as { code?: string }).code ?? 'network';
            throw new LivevoxError(endpoint, undefined, `request failed (${code})`, true);
          }
          if (response.status !== 401) return readAnswer(endpoint, response);
          if (reloggedIn) throw new LivevoxAuthError(endpoint, 401, messageOf(response.data));
          reloggedIn = true;
          if (session === sessionPromise) session = undefined;
        }
      },
      {
        maxAttempts,
        delayMs: (attempt) => fullJitterBackoffMs(attempt - 1, baseDelayMs, maxDelayMs),
        retryable: (error) => error instanceof LivevoxError && error.transient,
      },
    );
  }

  return {
    async listServices(): Promise<LivevoxService[]> {
      const endpoint = '/configuration/v6.0/services';
      const services: LivevoxService[] = [];
      let offset: number | null | undefined = 0;
      while (offset !== null && offset !== undefined) {
        const parsed = servicesPageShape.safeParse(
          await send('GET', `${endpoint}?offset=${offset}&count=${pageSize}`, endpoint),
        );
        if (!parsed.success) throw new LivevoxError(endpoint, 200, 'answer does not have the expected shape');
        services.push(...parsed.data.services);
        offset = parsed.data.next;
      }
      return services;
    },
    async fetchCallDetail(serviceId: number, window: CallWindow): Promise<LivevoxCallRow[]> {
      const endpoint = '/reporting/v6.0/standard/callDetail';
      const body = { startDate: window.start.getTime(), endDate: window.end.getTime(), serviceId };
      const rows: LivevoxCallRow[] = [];
      let offset: number | null | undefined = 0;
      while (offset !== null && offset !== undefined) {
        const parsed = pageShape.safeParse(
          await send('POST', `${endpoint}?offset=${offset}&count=${pageSize}`, endpoint, body),
        );
        if (!parsed.success) throw new LivevoxError(endpoint, 200, 'answer does not have the expected shape');
        rows.push(...parsed.data.callDetails);
        if (parsed.data.next !== null && parsed.data.next !== undefined && parsed.data.next <= offset) {
          throw new LivevoxError(endpoint, 200, 'paging does not advance');
        }
        offset = parsed.data.next;
      }
      return rows;
    },
  };
}

/** Livevox's data, or the LivevoxError its answer amounts to. */
function readAnswer(endpoint: string, response: AxiosResponse): unknown {
  if (response.status === 429 || response.status >= 500) {
    throw new LivevoxError(endpoint, response.status, messageOf(response.data), true);
  }
  if (response.status < 200 || response.status >= 300) {
    throw new LivevoxError(endpoint, response.status, messageOf(response.data));
  }
  // A 200 that is not a JSON object (a proxy's page, a body cut short) or that carries
  // Livevox's {code, message} error is a failed answer, retried like a 5xx.
  if (typeof response.data !== 'object' || response.data === null) {
    const contentType = String(response.headers['content-type'] ?? 'untyped');
    throw new LivevoxError(
      endpoint,
      response.status,
      `answer is not JSON (${contentType}; a proxy page or a body cut short?)`,
      true,
    );
  }
  if (isErrorBody(response.data))
    throw new LivevoxError(endpoint, response.status, messageOf(response.data), true);
  return response.data;
}

function isErrorBody(data: object): boolean {
  const { code, message } = data as { code?: unknown; message?: unknown };
  return typeof code === 'number' && typeof message === 'string';
}

function messageOf(data: unknown): string {
  const message = (data as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : 'no message';
}
