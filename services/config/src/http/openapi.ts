import Router from '@koa/router';
import { allow } from './access';

// The operator API as OpenAPI 3.1. A test compares it with the routers' own route table, so a
// route added without its entry here (or the other way round) fails the build.

const error = { $ref: '#/components/responses/Error' };
const budgetSpent = { $ref: '#/components/responses/VanBudgetSpent' };
const listingRowBroken = { $ref: '#/components/responses/ListingRowBroken' };
const json = (description: string, schema: object = { type: 'object' }) => ({
  description,
  content: { 'application/json': { schema } },
});
const jsonOrHtml = (description: string) => ({
  description,
  content: {
    'application/json': { schema: { type: 'object' } },
    'text/html': { schema: { type: 'string' } },
  },
});
const candidate = {
  name: 'candidate',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
};
const uuid = (name: string) => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string', format: 'uuid' },
});
const runRef = (description: string) => ({
  name: 'ref',
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
const query = (name: string, schema: object, description: string, required = false) => ({
  name,
  in: 'query',
  required,
  schema,
  description,
});
const day = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' };
const unauthenticated = { security: [] };

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'call-sync config service',
    version: '1.0.0',
    description:
      "Candidate configuration, the organisers' configure and validate pages, the operator API (runs, reset, drop rate, call import) and the morning reports. Every endpoint but /healthz, /readyz and /metrics needs a bearer token (or the cookie /login sets); an organiser's token opens the reading endpoints (possibly for named candidates only), an operator's every endpoint, and anything else is a 403 naming the role needed. Pages answer HTML to browsers (Accept: text/html, or ?format=html) and JSON otherwise.",
  },
  security: [{ bearer: [] }, { cookie: [] }],
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer' },
      cookie: { type: 'apiKey', in: 'cookie', name: 'callsync_session' },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error', 'detail'],
        properties: { error: { type: 'string' }, detail: { type: 'string' } },
      },
    },
    responses: {
      Error: {
        description: 'An error: `{error, detail}`',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
      VanBudgetSpent: {
        description:
          "`van_budget_spent`: the key's VAN requests for the Eastern day (VAN_DAILY_BUDGET, shared with the pipeline) are spent; try again tomorrow",
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
      ListingRowBroken: {
        description:
          "`candidate_row_invalid`: the candidate's Listing row cannot be read (no district, an unknown strategy); `configurationErrors` names each field to fix",
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    },
  },
  paths: {
    '/healthz': { get: { ...unauthenticated, summary: 'The process lives', responses: { 200: json('ok') } } },
    '/readyz': {
      get: {
        ...unauthenticated,
        summary: 'MongoDB and Kafka answer',
        responses: { 200: json('ready'), 503: json('not ready') },
      },
    },
    '/metrics': {
      get: {
        ...unauthenticated,
        summary: 'Prometheus metrics',
        responses: { 200: { description: 'text exposition format' } },
      },
    },
    '/login': {
      get: {
        ...unauthenticated,
        summary: 'The sign-in form (a token in the URL, ?token=, is refused: URLs end up in logs)',
        parameters: [query('next', { type: 'string' }, 'a same-site path to go to once signed in')],
        responses: { 200: { description: 'the form' }, 400: error },
      },
      post: {
        ...unauthenticated,
        summary:
          'Sign in with the form (token, next): a signed session in an HttpOnly, SameSite=Strict cookie that expires in 12 h, never the token',
        requestBody: {
          content: {
            'application/x-www-form-urlencoded': {
              schema: { type: 'object', properties: { token: { type: 'string' }, next: { type: 'string' } } },
            },
          },
        },
        responses: { 303: { description: 'signed in; redirects to next' }, 401: error },
      },
    },
    '/logout': {
      post: { summary: 'Clear the sign-in cookie', responses: { 204: { description: 'signed out' } } },
    },
    '/openapi.json': { get: { summary: 'This document', responses: { 200: json('OpenAPI 3.1') } } },
    '/candidates': {
      get: {
        summary:
          'Every candidate: strategy, system, district, sync hour, active flag, configuration errors (never the API key)',
        responses: { 200: jsonOrHtml('the candidates'), 401: error },
      },
    },
    '/config/refresh': {
      post: { summary: 'Read Airtable now', responses: { 200: json('the new configuration'), 503: error } },
    },
    '/configure/{candidate}': {
      get: {
        summary:
          "The candidate's VAN result codes, activist codes and survey questions (questionId,responseId -> title), with instructions",
        parameters: [candidate],
        responses: {
          200: jsonOrHtml('the VAN ids'),
          400: error,
          404: error,
          422: listingRowBroken,
          502: error,
          503: budgetSpent,
        },
      },
    },
    '/validate/{candidate}': {
      get: {
        summary:
          'Every configuration row checked against VAN: "This sync is good to go!" or "THIS SYNC HAS ERRORS"; a listing row that cannot be read answers its own errors',
        parameters: [candidate],
        responses: {
          200: jsonOrHtml('the verdict, row by row'),
          400: error,
          404: error,
          502: error,
          503: budgetSpent,
        },
      },
    },
    '/candidates/{candidate}/reset': {
      post: {
        summary:
          "Return a window's calls to unsynced (all, errors only, or exactly the calls whose outcome is unknown); counts first, acts with confirm=true",
        parameters: [
          candidate,
          query(
            'scope',
            { enum: ['all', 'errors', 'outcome-unknown'], default: 'errors' },
            'which calls; all and errors never include calls whose outcome is unknown',
          ),
          query('window', day, 'an Eastern day; default the current run window'),
          query('confirm', { enum: ['true', 'false'] }, 'true to reset'),
          query(
            'expected',
            { type: 'integer', minimum: 0 },
            'with scope=outcome-unknown and confirm=true: the count the first call answered',
          ),
        ],
        responses: {
          200: json('the count, or how many were reset'),
          400: error,
          409: error,
          404: error,
          422: listingRowBroken,
        },
      },
    },
    '/runs': {
      get: {
        summary: 'Recent runs with counts and progress',
        parameters: [
          query('candidate', { type: 'string' }, 'only this candidate'),
          query(
            'state',
            { enum: ['open', 'extracting', 'writing', 'exporting', 'completed', 'failed'] },
            'only this state',
          ),
          query('limit', { type: 'integer', minimum: 1, maximum: 200, default: 50 }, 'how many'),
        ],
        responses: { 200: jsonOrHtml('the runs'), 400: error },
      },
    },
    // One path item: POST names a candidate, GET a run (the routes the operators know).
    '/runs/{ref}': {
      post: {
        summary: 'Run now (recorded for the extractor), or a dry run decided at once that posts nothing',
        parameters: [
          runRef('a candidate slug'),
          query('window', day, 'an Eastern day; default the window a run now would take'),
          query('dryRun', { enum: ['true', 'false'] }, 'decide and count, post nothing'),
        ],
        requestBody: {
          required: false,
          content: {
            'application/json': {
              schema: { type: 'object', properties: { window: day, dryRun: { type: 'boolean' } } },
            },
          },
        },
        responses: {
          201: json('the dry run, completed'),
          202: json('the run request, open'),
          400: error,
          404: error,
          422: listingRowBroken,
          409: error,
          502: error,
          503: budgetSpent,
        },
      },
      get: {
        summary: 'One run: counts per status, progress, errors, receipts, timings, report delivery',
        parameters: [runRef('a run id (UUID)')],
        responses: { 200: jsonOrHtml('the run'), 400: error, 404: error },
      },
    },
    '/drop-rate': {
      get: {
        summary: 'drops / (drops + contacts) per day and over the days; N/A without contacts',
        parameters: [
          query('start_day', { type: 'string', pattern: '^\\d{2}-\\d{2}$' }, 'MM-DD (Eastern)', true),
          query('count', { type: 'integer', minimum: 1, maximum: 92 }, 'days', true),
          query('service_name', { type: 'string' }, 'dialer service', true),
        ],
        responses: { 200: json('the rates'), 400: error },
      },
    },
    '/calls/import': {
      post: {
        summary: "Upload the dialer's call-export CSV (streamed; upserted by id; idempotent)",
        parameters: [
          query('service_name', { type: 'string' }, 'for files without a service_name column'),
          query('file_name', { type: 'string' }, 'shown on the import job'),
        ],
        requestBody: { required: true, content: { 'text/csv': { schema: { type: 'string' } } } },
        responses: {
          200: json('the import job: counts and per-row errors with line numbers'),
          400: error,
          413: error,
          415: error,
        },
      },
    },
    '/calls/imports': {
      get: { summary: 'Recent import jobs with their progress', responses: { 200: json('the jobs') } },
    },
    '/calls/imports/{id}': {
      get: {
        summary: 'One import job',
        parameters: [uuid('id')],
        responses: { 200: json('the job'), 400: error, 404: error },
      },
    },
    '/audit': {
      get: {
        summary:
          'Operator actions (run requested, reset, import, refresh): who, when, what; newest first (operator role)',
        parameters: [
          { name: 'candidate', in: 'query', schema: { type: 'string' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
        ],
        responses: { 200: jsonOrHtml('the audit entries'), 400: error, 403: error },
      },
    },
  },
} as const;

export function openApiRoutes(): Router {
  const router = new Router();
  router.get('/openapi.json', allow('organiser'), (ctx) => {
    ctx.body = openApiDocument;
  });
  return router;
}
