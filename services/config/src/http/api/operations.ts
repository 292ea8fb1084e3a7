import { RunState } from '@call-sync/core';
import type { ApiRole } from '../../api-tokens';
import { RESET_SCOPES } from '@call-sync/store';
import { z } from './zod';
import {
  candidateSlug,
  dayParam,
  flagParam,
  slugFilter,
  uuidParam,
  wholeNumberOr,
  wholeNumberParam,
} from './fields';
import {
  auditAnswer,
  callSearchAnswer,
  configurationAnswer,
  configureAnswer,
  dropRateAnswer,
  healthAnswer,
  importAnswer,
  importsAnswer,
  openApiAnswer,
  outcomeUnknownAnswer,
  readyAnswer,
  resetAnswer,
  resolveAnswer,
  runAnswer,
  runDetailAnswer,
  runsAnswer,
  validateAnswer,
} from './answers';

// Every operation of the service once: its path, the role it needs, its parameters and body (the
// handlers read them through these schemas) and its answers (the OpenAPI document and the tests'
// checks of every answer come from here).

export interface Answer {
  description: string;
  /** The JSON answer; a page route also answers the same data as HTML. */
  json?: z.ZodType;
  html?: true;
  /** Another media type, as a string (the sign-in form, Prometheus text). */
  text?: string;
  /** The error answer, `{error, detail}`. */
  error?: true;
}

export interface Operation {
  method: 'get' | 'post';
  /** OpenAPI style, `{name}` for a parameter; the router serves it as `:name`. */
  path: string;
  summary: string;
  /** The role a token needs; null: answered without one. */
  role: ApiRole | null;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: { mediaType: string; schema: z.ZodType; required: boolean };
  responses: Record<number, Answer>;
  /** The fields every 400 of the operation carries, and the detail when a required one is missing. */
  invalid?: { extra?: Record<string, unknown>; missing?: string };
}

/** The body parser reads these; any other body (the CSV upload) is its route's own stream. */
export const PARSED_BODIES = new Set(['application/json', 'application/x-www-form-urlencoded']);

const operation = <const O extends Operation>(spec: O): O => spec;

const error = (description: string): Answer => ({ description, error: true });
const json = (description: string, schema: z.ZodType): Answer => ({ description, json: schema });
const page = (description: string, schema: z.ZodType): Answer => ({ description, json: schema, html: true });

const budgetSpent = error(
  "`van_budget_spent`: the key's VAN requests for the Eastern day (VAN_DAILY_BUDGET, shared with the pipeline) are spent; try again tomorrow. `van_key_not_loaded`: after a start-up from the Mongo copy, until Airtable answers",
);
const listingRowBroken = error(
  "`candidate_row_invalid`: the candidate's Listing row cannot be read (no district, an unknown strategy); `configurationErrors` names each field to fix",
);
const unknownCandidate = error('`unknown_candidate`: no such candidate; `candidates` lists the valid ones');
const badParameter = error(
  '`bad_parameter` (or `bad_candidate`, `bad_body`): a parameter or body field is refused',
);

export const DROP_RATE_USAGE =
  'GET /drop-rate?start_day=MM-DD&count=N&service_name=NAME — N days (1–92) from start_day (Eastern), ' +
  'for one dialer service; the rate is drops / (drops + contacts), N/A when there were no contacts';

const RUN_STATES = Object.values(RunState);
const searchKey = z.enum(['voter', 'phone', 'call', 'account'], {
  error: 'by must be "voter", "phone", "call" or "account"',
});
const searchValue = z
  .string({ error: 'value is required: the exact voter id, phone number, call id or account number' })
  .trim()
  .min(1, { error: 'value is required: the exact voter id, phone number, call id or account number' })
  .max(200, { error: 'value is too long' });
const candidatePath = z.object({ candidate: candidateSlug });

export const operations = {
  health: operation({
    method: 'get',
    path: '/healthz',
    summary: 'The process lives',
    role: null,
    responses: { 200: json('ok', healthAnswer) },
  }),
  ready: operation({
    method: 'get',
    path: '/readyz',
    summary: 'MongoDB and Kafka answer',
    role: null,
    responses: { 200: json('ready', readyAnswer), 503: json('not ready, naming what failed', readyAnswer) },
  }),
  metrics: operation({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    role: null,
    responses: { 200: { description: 'text exposition format', text: 'text/plain' } },
  }),
  loginForm: operation({
    method: 'get',
    path: '/login',
    summary: 'The sign-in form (a token in the URL, ?token=, is refused: URLs end up in logs)',
    role: null,
    query: z.object({
      next: z
        .string()
        .optional()
        .openapi({ param: { description: 'a same-site path to go to once signed in' } }),
    }),
    responses: { 200: { description: 'the form', text: 'text/html' }, 400: badParameter },
  }),
  login: operation({
    method: 'post',
    path: '/login',
    summary:
      'Sign in with the form (token, next): a signed session in an HttpOnly, SameSite=Strict cookie that ends after 12 h, or sooner when unused (SESSION_IDLE_MINUTES), never the token',
    role: null,
    body: {
      mediaType: 'application/x-www-form-urlencoded',
      required: true,
      // A token that is not a string is no token: a 401, like a wrong one.
      schema: z.strictObject({
        token: z.unknown().optional().openapi({ type: 'string' }),
        next: z.unknown().optional().openapi({ type: 'string' }),
      }),
    },
    responses: {
      303: { description: 'signed in; redirects to next' },
      400: badParameter,
      401: error('`unauthorized`: the token is not valid'),
      403: error("`cross_origin`: the form was posted from another site's page"),
      429: error(
        '`too_many_failures`: too many wrong tokens from this client; no token, not even a right one, is checked until Retry-After has passed',
      ),
    },
  }),
  logout: operation({
    method: 'post',
    path: '/logout',
    summary:
      'End the sign-in session, on the server too (a copy of the cookie no longer works), and clear its cookie',
    role: null,
    responses: { 204: { description: 'signed out' } },
  }),
  openApi: operation({
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    role: 'organiser',
    responses: { 200: json('OpenAPI 3.1', openApiAnswer) },
  }),
  candidates: operation({
    method: 'get',
    path: '/candidates',
    summary:
      'Every candidate: strategy, system, district, sync hour, active flag, configuration errors (never the API key)',
    role: 'organiser',
    responses: { 200: page('the candidates', configurationAnswer) },
  }),
  refresh: operation({
    method: 'post',
    path: '/config/refresh',
    summary: 'Read Airtable now',
    role: 'operator',
    body: { mediaType: 'application/json', required: false, schema: z.strictObject({}) },
    responses: {
      200: json('the new configuration', configurationAnswer),
      400: badParameter,
      503: error('`airtable_unavailable`: the last good configuration is still in service'),
    },
  }),
  configure: operation({
    method: 'get',
    path: '/configure/{candidate}',
    summary:
      "The candidate's VAN result codes, activist codes and survey questions (questionId,responseId -> title), with instructions",
    role: 'organiser',
    params: candidatePath,
    responses: {
      200: page('the VAN ids', configureAnswer),
      400: badParameter,
      404: unknownCandidate,
      422: listingRowBroken,
      502: error('`van_key_refused` or `van_unavailable`'),
      503: budgetSpent,
    },
  }),
  validate: operation({
    method: 'get',
    path: '/validate/{candidate}',
    summary:
      'Every configuration row checked against VAN: "This sync is good to go!" or "THIS SYNC HAS ERRORS"; a listing row that cannot be read answers its own errors',
    role: 'organiser',
    params: candidatePath,
    responses: {
      200: page('the verdict, row by row', validateAnswer),
      400: badParameter,
      404: unknownCandidate,
      502: error('`van_unavailable`'),
      503: budgetSpent,
    },
  }),
  reset: operation({
    method: 'post',
    path: '/candidates/{candidate}/reset',
    summary:
      "Return a window's calls to unsynced (all, errors only, or exactly the calls VAN accepted or whose outcome is unknown); counts first, acts with confirm=true",
    role: 'operator',
    params: candidatePath,
    query: z.object({
      scope: z
        .enum(RESET_SCOPES, {
          error: 'scope must be "all", "errors", "outcome-unknown" or "van-accepted"',
        })
        .default('errors')
        .openapi({
          param: {
            description:
              'which calls; all and errors never include a call VAN accepted or whose outcome is unknown: outcome-unknown and van-accepted name exactly those',
          },
        }),
      window: dayParam('window', 'an Eastern day; default the current run window').optional(),
      confirm: flagParam('confirm', 'true to reset').optional(),
      expected: z
        .string()
        .regex(/^\d+$/, {
          error: 'resetting calls VAN holds or may hold needs expected=<count>: ask without confirm first',
        })
        .optional()
        .openapi({
          type: 'integer',
          minimum: 0,
          param: {
            description:
              'with scope=outcome-unknown or van-accepted and confirm=true: the count the first call answered',
          },
        }),
    }),
    body: { mediaType: 'application/json', required: false, schema: z.strictObject({}) },
    responses: {
      200: json('the count, or how many were reset', resetAnswer),
      400: badParameter,
      404: unknownCandidate,
      409: error('`count_changed`: the count differs from `expected`; look again'),
      422: listingRowBroken,
    },
  }),
  runs: operation({
    method: 'get',
    path: '/runs',
    summary: 'Recent runs with counts and progress',
    role: 'organiser',
    query: z.object({
      candidate: slugFilter('candidate').optional(),
      state: z
        .enum(RUN_STATES, { error: `state must be one of ${RUN_STATES.join(', ')}` })
        .optional()
        .openapi({ param: { description: 'only this state' } }),
      limit: wholeNumberOr(50, wholeNumberParam('limit', { min: 1, max: 200 }, 'how many')),
    }),
    responses: { 200: page('the runs', runsAnswer), 400: badParameter },
  }),
  // One path item for POST and GET: POST names a candidate, GET a run (the routes the operators know).
  runNow: operation({
    method: 'post',
    path: '/runs/{ref}',
    summary: 'Run now (recorded for the extractor), or a dry run decided at once that posts nothing',
    role: 'operator',
    params: z.object({ ref: candidateSlug }),
    query: z.object({
      window: dayParam('window', 'an Eastern day; default the window a run now would take').optional(),
      dryRun: flagParam('dryRun', 'decide and count, post nothing').optional(),
    }),
    body: {
      mediaType: 'application/json',
      required: false,
      schema: z.strictObject({
        window: dayParam('window', 'as the query parameter').optional(),
        dryRun: z.union([z.boolean(), flagParam('dryRun', 'as the query parameter')]).optional(),
      }),
    },
    responses: {
      201: json('the dry run, completed', runAnswer),
      202: json('the run request, open', runAnswer),
      400: badParameter,
      404: unknownCandidate,
      409: error('`run_already_requested`: `runId` names the request waiting to start'),
      422: listingRowBroken,
      502: error('`van_unavailable`: the dry run failed; `runId` names it'),
      503: budgetSpent,
    },
  }),
  run: operation({
    method: 'get',
    path: '/runs/{ref}',
    summary: 'One run: counts per status, progress, errors, receipts, timings, report delivery',
    role: 'organiser',
    params: z.object({ ref: uuidParam('a run id').openapi({ param: { description: 'a run id' } }) }),
    responses: {
      200: page('the run', runDetailAnswer),
      400: badParameter,
      404: error('`unknown_run`'),
    },
  }),
  outcomeUnknown: operation({
    method: 'get',
    path: '/outcome-unknown',
    summary:
      'The calls whose VAN post may or may not have landed: what was sent, when, the error and a link to the voter in VAN, for a person to check',
    role: 'organiser',
    query: z.object({
      candidate: slugFilter('candidate').optional(),
      run: uuidParam('a run id').optional(),
      day: dayParam('day', 'calls made that Eastern day').optional(),
      limit: wholeNumberOr(200, wholeNumberParam('limit', { min: 1, max: 1000 }, 'how many')),
    }),
    responses: { 200: page('the worklist', outcomeUnknownAnswer), 400: badParameter },
  }),
  resolveOutcomeUnknown: operation({
    method: 'post',
    path: '/outcome-unknown/resolve',
    summary:
      "A person's verdict on calls whose outcome is unknown: in-van finishes them (the receipt names who confirmed), not-in-van posts each once more through the at-most-once path; audited",
    role: 'operator',
    body: {
      mediaType: 'application/json',
      required: true,
      // The page's form posts the same fields (one callId per ticked box).
      schema: z.strictObject({
        verdict: z.enum(['in-van', 'not-in-van'], { error: 'verdict must be "in-van" or "not-in-van"' }),
        callId: z.union([
          z.string().min(1).max(200),
          z.array(z.string().min(1).max(200)).min(1).max(200, { error: 'at most 200 calls at a time' }),
        ]),
      }),
    },
    responses: { 200: page('what became of each call', resolveAnswer), 400: badParameter },
  }),
  // A phone number is searched only with POST: a URL stays in the ingress logs and the browser's
  // history, a body does not. The other keys may be linked to (GET), and the page posts them too.
  callSearchPage: operation({
    method: 'get',
    path: '/calls/search',
    summary:
      "The search form; with by and value (voter, call or account, never phone), the matching calls' journeys",
    role: 'organiser',
    query: z.object({
      by: z
        .enum(['voter', 'call', 'account', 'phone'], {
          error: 'by must be "voter", "call" or "account" (a phone number is searched with POST)',
        })
        .optional()
        .openapi({ param: { description: 'the key searched: voter, call or account' } }),
      value: searchValue.optional().openapi({ param: { description: 'its exact value' } }),
    }),
    responses: {
      200: page('the form, and the calls found', callSearchAnswer),
      400: error('`bad_parameter`, or `phone_in_url`: search a phone number with POST'),
    },
  }),
  callSearch: operation({
    method: 'post',
    path: '/calls/search',
    summary:
      "Calls matching a voter id, phone number, call id or account number exactly, newest first, each with its journey (decision, run, status history, VAN request, receipt, error); an organiser's own candidates only",
    role: 'organiser',
    body: {
      mediaType: 'application/json',
      required: true,
      // The page's form posts the same fields.
      schema: z.strictObject({ by: searchKey, value: searchValue }),
    },
    responses: { 200: page('the calls found', callSearchAnswer), 400: badParameter },
  }),
  dropRate: operation({
    method: 'get',
    path: '/drop-rate',
    summary: 'drops / (drops + contacts) per day and over the days; N/A without contacts',
    role: 'organiser',
    query: z.object({
      start_day: z
        .string()
        .regex(/^\d{2}-\d{2}$/, { error: (issue) => `start_day must be MM-DD, got "${String(issue.input)}"` })
        .openapi({ param: { description: 'MM-DD (Eastern)' } }),
      count: wholeNumberParam('count', { min: 1, max: 92, quoteInput: true }, 'days'),
      service_name: z
        .string()
        .max(200, { error: 'service_name is too long' })
        .openapi({ param: { description: 'dialer service' } }),
    }),
    invalid: { extra: { usage: DROP_RATE_USAGE }, missing: 'start_day, count and service_name are required' },
    responses: { 200: json('the rates', dropRateAnswer), 400: badParameter },
  }),
  importCalls: operation({
    method: 'post',
    path: '/calls/import',
    summary: "Upload the dialer's call-export CSV (streamed; upserted by id; idempotent)",
    role: 'operator',
    query: z.object({
      service_name: z
        .string()
        .max(200, { error: 'service_name is too long' })
        .optional()
        .openapi({ param: { description: 'for files without a service_name column' } }),
      file_name: z
        .string()
        .optional()
        .openapi({ param: { description: 'shown on the import job' } }),
      import_id: uuidParam('import_id')
        .optional()
        .openapi({
          param: {
            description:
              "the job's id, chosen by the uploader to read its progress (GET /calls/imports/{id}) while it uploads; a random one otherwise",
          },
        }),
    }),
    body: { mediaType: 'text/csv', required: true, schema: z.string() },
    responses: {
      200: json('the import job: counts and per-row errors with line numbers', importAnswer),
      400: error('`bad_parameter`, or `bad_csv` with the job in `import`'),
      409: error('`import_exists`: an import with that import_id exists'),
      413: error('`too_large`'),
      415: error('`unsupported_type`'),
      422: error('`bad_csv`: the file holds no call rows (empty, or a header only); the job in `import`'),
    },
  }),
  imports: operation({
    method: 'get',
    path: '/calls/imports',
    summary:
      'Recent import jobs with their progress; in a browser, the import page (upload with progress, the jobs)',
    role: 'operator',
    responses: { 200: page('the jobs', importsAnswer) },
  }),
  importJob: operation({
    method: 'get',
    path: '/calls/imports/{id}',
    summary: 'One import job',
    role: 'operator',
    params: z.object({ id: uuidParam('an import id') }),
    responses: { 200: page('the job', importAnswer), 400: badParameter, 404: error('`unknown_import`') },
  }),
  importErrorsCsv: operation({
    method: 'get',
    path: '/calls/imports/{id}/errors.csv',
    summary: "One import job's row errors as CSV (line, error, row), for the person who fixes the export",
    role: 'operator',
    params: z.object({ id: uuidParam('an import id') }),
    responses: {
      200: { description: 'line,error,row', text: 'text/csv' },
      400: badParameter,
      404: error('`unknown_import`'),
    },
  }),
  audit: operation({
    method: 'get',
    path: '/audit',
    summary:
      'Operator actions (run requested, reset, import, refresh) and refused requests (401, 403, with their source): who, when, what; newest first, a page at a time',
    role: 'operator',
    query: z.object({
      candidate: slugFilter('candidate').optional(),
      limit: wholeNumberOr(100, wholeNumberParam('limit', { min: 1, max: 500 }, 'how many')),
      offset: wholeNumberOr(
        0,
        wholeNumberParam(
          'offset',
          { min: 0, max: 1_000_000 },
          'how many newer entries to pass over (the next link)',
        ),
      ),
    }),
    responses: { 200: page('the audit entries', auditAnswer), 400: badParameter },
  }),
} as const;
