import type { Registry } from 'prom-client';
import { Agent } from 'undici';
import { z } from 'zod';
import {
  fingerprintApiKey,
  type VanActivistCode,
  type VanCanvassRequest,
  type VanContactType,
  type VanInputType,
  type VanMetadata,
  type VanResultCode,
  type VanSurveyQuestion,
} from '@call-sync/core';
import { createBulkImportMethods, type BulkImportMethods } from './van-bulk-import';
import { getKeyRateLimiter, type KeyRateLimiter } from './key-rate-limiter';
import type { RequestBudget } from './request-budget';
import { sleep } from './retries';
import { VanRequestRefusedError, VanServerError } from './van-errors';
import { vanMetricsFor, type VanMetrics } from './van-metrics';
import { classifyVanAttempt, type VanAttemptResult, type VanRetryPolicy } from './van-retry-rules';

export interface VanClientOptions {
  /** VAN's API root, e.g. `https://api.securevan.com` (a trailing `/v4` is accepted). */
  baseUrl: string;
  applicationName: string;
  apiKey: string;
  /** 0 = MyVoters (voter file), 1 = MyCampaign. */
  mode: 0 | 1;
  /**
   * Long by default: an unanswered write cannot be retried (see postCanvassResponse), so it is
   * better to wait for a slow VAN than to give up and leave the outcome unknown.
   */
  timeoutMs?: number;
  /** Defaults to the process-wide limiter of this key at VAN's common 15 requests/s. */
  rateLimiter?: KeyRateLimiter;
  /** Checked before every attempt; none = unlimited. */
  budget?: RequestBudget;
  metrics?: Registry;
  retry?: Partial<VanRetryPolicy>;
  /** `$top` for the paged lists; VAN allows up to 200. */
  pageSize?: number;
}

export interface VanApiKeyProfile {
  databaseName?: string;
  hasMyVoters?: boolean;
  hasMyCampaign?: boolean;
  committeeName?: string;
  apiKeyTypeName?: string;
  username?: string;
  userFirstName?: string;
  userLastName?: string;
  /** The VAN user the key acts as: a Bulk Import row's CanvassedBy when none is configured. */
  userId?: number;
}

/** What VAN accepted. VAN v4 returns no identifier for a canvass response, so this is our record. */
interface VanCanvassReceipt {
  vanId: number;
  status: number;
  dateCanvassed: string;
  acceptedAt: string;
  /** Attempts it took, counting the 429s VAN refused before processing. */
  attempts: number;
}

/** The per-call API, plus VAN Bulk Import (van-bulk-import.ts) through the same limits and budget. */
export interface VanClient extends BulkImportMethods {
  readonly keyFingerprint: string;
  getApiKeyProfile(): Promise<VanApiKeyProfile>;
  listSurveyQuestions(): Promise<VanSurveyQuestion[]>;
  listActivistCodes(): Promise<VanActivistCode[]>;
  listResultCodes(): Promise<VanResultCode[]>;
  listContactTypes(): Promise<VanContactType[]>;
  listInputTypes(): Promise<VanInputType[]>;
  fetchMetadata(): Promise<VanMetadata>;
  postCanvassResponse(vanId: number, body: VanCanvassRequest): Promise<VanCanvassReceipt>;
}

const DEFAULT_RETRY: VanRetryPolicy = { maxAttempts: 5, baseDelayMs: 250, maxDelayMs: 10_000 };
const VAN_COMMON_RATE_PER_SECOND = 15;

// Shapes we rely on; extra fields VAN adds are dropped. `keyReference` (the key's last digits)
// is deliberately not read from the profile, so it cannot end up in a log.
const surveyQuestionShape = z.object({
  surveyQuestionId: z.number().int(),
  name: z.string(),
  shortName: z.string().optional(),
  type: z.string().optional(),
  cycle: z.number().optional(),
  status: z.string().optional(),
  scriptQuestion: z.string().optional(),
  responses: z.array(
    z.object({
      surveyResponseId: z.number().int(),
      name: z.string(),
      mediumName: z.string().optional(),
      shortName: z.string().optional(),
    }),
  ),
});
const activistCodeShape = z.object({
  activistCodeId: z.number().int(),
  name: z.string(),
  type: z.string().optional(),
  description: z.string().optional(),
  status: z.string().optional(),
});
const resultCodeShape = z.object({
  resultCodeId: z.number().int(),
  name: z.string(),
  mediumName: z.string().optional(),
  shortName: z.string().optional(),
});
const contactTypeShape = z.object({
  contactTypeId: z.number().int(),
  name: z.string(),
  channelTypeName: z.string().optional(),
});
const inputTypeShape = z.object({ inputTypeId: z.number().int(), name: z.string() });
const apiKeyProfileShape = z.object({
  databaseName: z.string().optional(),
  hasMyVoters: z.boolean().optional(),
  hasMyCampaign: z.boolean().optional(),
  committeeName: z.string().optional(),
  apiKeyTypeName: z.string().optional(),
  username: z.string().optional(),
  userFirstName: z.string().optional(),
  userLastName: z.string().optional(),
  userId: z.number().int().positive().optional(),
});
const pageShape = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextPageLink: z.string().nullable().optional(),
    count: z.number().optional(),
  });

interface VanRequest {
  method: 'GET' | 'POST';
  /** Path under the API root, e.g. `/v4/surveyQuestions?$top=200`. */
  url: string;
  /** Endpoint template for errors and metrics: never a vanId, never a query. */
  endpoint: string;
  body?: unknown;
  /**
   * The answer may carry `errors` as data: a bulk import job that failed reports them in its
   * status. Elsewhere a 2xx with `errors` is a gateway's failure.
   */
  errorsAreData?: boolean;
}

interface VanAnswer {
  status: number;
  json: unknown;
  attempts: number;
}

// Connection failures that happen before a byte of the request left us: safe to retry even a write.
// undici's own connect timeout is one of them: the connection never opened.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

// Every key's client shares the process's connections to VAN: a connection carries one request
// at a time, whoever's key signs it. undici, not Node's HTTP client through axios: a canvass
// response is one small POST, and axios's per-request work cost more CPU than the rest of the
// writer's part of a call (bench/README.md, "The HTTP client").
let sharedAgent: Agent | undefined;
const vanAgent = (): Agent => (sharedAgent ??= new Agent({ connect: { timeout: 10_000 } }));

/** The API root as an origin and a path prefix (a proxy may serve VAN under a path). */
function vanRoot(baseUrl: string): { origin: string; prefix: string } {
  const url = new URL(baseUrl.replace(/\/+$/, '').replace(/\/v4$/, ''));
  if (url.username || url.password || url.search || url.hash)
    throw new Error('the VAN API root must be a bare URL: no credentials, query or fragment');
  return { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') };
}

export function createVanClient(opts: VanClientOptions): VanClient {
  const keyFingerprint = fingerprintApiKey(opts.apiKey);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const retry: VanRetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
  const rateLimiter = opts.rateLimiter ?? getKeyRateLimiter(keyFingerprint, VAN_COMMON_RATE_PER_SECOND);
  const pageSize = Math.min(200, Math.max(1, opts.pageSize ?? 200));
  const metrics: VanMetrics | undefined = opts.metrics ? vanMetricsFor(opts.metrics) : undefined;
  const { origin, prefix } = vanRoot(opts.baseUrl);
  const authorization = `Basic ${Buffer.from(`${opts.applicationName}:${opts.apiKey}|${opts.mode}`).toString('base64')}`;

  async function attempt(request: VanRequest): Promise<VanAttemptResult> {
    // The whole request's deadline: undici's own header and body timeouts tick about once a second.
    const deadline = AbortSignal.timeout(timeoutMs);
    const endTimer = metrics?.duration.startTimer({ van_endpoint: request.endpoint, method: request.method });
    try {
      // Redirects are not followed: one could carry the Authorization header somewhere else.
      // The body is read as text whatever its type: proxies answer HTML, and the content type
      // decides how to read it.
      const response = await vanAgent().request({
        origin,
        path: `${prefix}${request.url}`,
        method: request.method,
        headers: {
          accept: 'application/json',
          authorization,
          ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        signal: deadline,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const body = await response.body.text();
      metrics?.requests.inc({
        van_endpoint: request.endpoint,
        method: request.method,
        status: String(response.statusCode),
      });
      const header = (name: string): string | undefined => {
        const value = response.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      return {
        outcome: 'answered',
        status: response.statusCode,
        contentType: header('content-type') ?? '',
        retryAfter: header('retry-after'),
        body,
      };
    } catch (err) {
      // Only the error code is kept: nothing of the request, whose headers hold the key.
      const code = (err as { code?: string }).code ?? 'UNKNOWN';
      const timedOut = deadline.aborted || TIMEOUT_CODES.has(code) || code === 'ETIMEDOUT';
      metrics?.requests.inc({
        van_endpoint: request.endpoint,
        method: request.method,
        status: timedOut ? 'timeout' : 'network_error',
      });
      if (timedOut) return { outcome: 'timeout' };
      return NOT_SENT_CODES.has(code) ? { outcome: 'not-sent', code } : { outcome: 'connection-lost', code };
    } finally {
      endTimer?.();
    }
  }

  /** Sends a request, retrying as van-retry-rules.ts decides. */
  async function send(request: VanRequest): Promise<VanAnswer> {
    for (let attemptNo = 1; ; attemptNo += 1) {
      let result: VanAttemptResult;
      if (opts.budget && !(await opts.budget.tryConsume())) result = { outcome: 'budget-spent' };
      else {
        await rateLimiter.acquire();
        result = await attempt(request);
      }
      const verdict = classifyVanAttempt({
        method: request.method,
        endpoint: request.endpoint,
        errorsAreData: request.errorsAreData,
        attempt: attemptNo,
        result,
        policy: retry,
        timeoutMs,
        keyFingerprint,
        random: Math.random,
        now: Date.now(),
      });
      if (verdict.kind === 'answer')
        return { status: verdict.status, json: verdict.json, attempts: attemptNo };
      if (verdict.kind !== 'retry') throw verdict.error;
      await sleep(verdict.afterMs);
    }
  }

  async function getJson<T>(
    url: string,
    endpoint: string,
    shape: z.ZodType<T>,
    options: { errorsAreData?: boolean } = {},
  ): Promise<T> {
    const answer = await send({ method: 'GET', url, endpoint, ...options });
    const parsed = shape.safeParse(answer.json);
    if (!parsed.success)
      throw new VanServerError(endpoint, answer.status, 'answer does not have the expected shape');
    return parsed.data;
  }

  async function listAllPages<T>(endpoint: string, item: z.ZodType<T>): Promise<T[]> {
    const items: T[] = [];
    const seen = new Set<string>();
    let url: string | undefined = `/v4${endpoint}?statuses=Active&$top=${pageSize}`;
    while (url) {
      if (seen.has(url)) throw new VanServerError(endpoint, undefined, 'nextPageLink repeats a page');
      seen.add(url);
      const page: { items: T[]; nextPageLink?: string | null | undefined } = await getJson(
        url,
        endpoint,
        pageShape(item),
      );
      items.push(...page.items);
      // Follow only the link's path and query, on our own host: credentials go nowhere an
      // answer names.
      url = page.nextPageLink ? toPathAndQuery(page.nextPageLink) : undefined;
    }
    return items;
  }

  const listSurveyQuestions = (): Promise<VanSurveyQuestion[]> =>
    listAllPages('/surveyQuestions', surveyQuestionShape);
  const listActivistCodes = (): Promise<VanActivistCode[]> =>
    listAllPages('/activistCodes', activistCodeShape);
  const listResultCodes = (): Promise<VanResultCode[]> =>
    getJson('/v4/canvassResponses/resultCodes', '/canvassResponses/resultCodes', z.array(resultCodeShape));
  const listContactTypes = (): Promise<VanContactType[]> =>
    getJson('/v4/canvassResponses/contactTypes', '/canvassResponses/contactTypes', z.array(contactTypeShape));
  const listInputTypes = (): Promise<VanInputType[]> =>
    getJson('/v4/canvassResponses/inputTypes', '/canvassResponses/inputTypes', z.array(inputTypeShape));

  return {
    keyFingerprint,
    async getApiKeyProfile(): Promise<VanApiKeyProfile> {
      const profiles = await getJson('/v4/apiKeyProfiles', '/apiKeyProfiles', z.array(apiKeyProfileShape));
      const [profile] = profiles;
      if (!profile) throw new VanServerError('/apiKeyProfiles', 200, 'no profile for this key');
      return profile;
    },
    listSurveyQuestions,
    listActivistCodes,
    listResultCodes,
    listContactTypes,
    listInputTypes,
    // The contact and input types come with the rest, once per run: the candidate's Contact Type
    // is resolved by name from them (two small reads), never per call.
    async fetchMetadata(): Promise<VanMetadata> {
      const [surveyQuestions, activistCodes, resultCodes, contactTypes, inputTypes] = await Promise.all([
        listSurveyQuestions(),
        listActivistCodes(),
        listResultCodes(),
        listContactTypes(),
        listInputTypes(),
      ]);
      return { surveyQuestions, activistCodes, resultCodes, contactTypes, inputTypes };
    },
    async postCanvassResponse(vanId: number, body: VanCanvassRequest): Promise<VanCanvassReceipt> {
      if (!Number.isSafeInteger(vanId) || vanId <= 0)
        throw new VanRequestRefusedError('/people/{vanId}/canvassResponses', `not a VAN id: ${vanId}`);
      const answer = await send({
        method: 'POST',
        url: `/v4/people/${vanId}/canvassResponses`,
        endpoint: '/people/{vanId}/canvassResponses',
        body,
      });
      return {
        vanId,
        status: answer.status,
        dateCanvassed: body.canvassContext.dateCanvassed,
        acceptedAt: new Date().toISOString(),
        attempts: answer.attempts,
      };
    },
    ...createBulkImportMethods({
      getJson,
      post: (url, endpoint, body) => send({ method: 'POST', url, endpoint, body }),
      keyFingerprint,
      timeoutMs,
      ...(opts.budget ? { budget: opts.budget } : {}),
    }),
  };
}

function toPathAndQuery(link: string): string {
  const parsed = new URL(link, 'http://van.invalid');
  return `${parsed.pathname}${parsed.search}`;
}
