import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import { errorAnswer } from './fields';
import { operations, PARSED_BODIES, type Answer, type Operation } from './operations';

const error = (description: string): Answer => ({ description, error: true });

/** What any operation may answer: an unexpected failure, whose cause only goes to the log. */
const EVERY_OPERATION: Record<number, Answer> = { 500: error('`internal`: see the service log') };
/** What an operation that needs a token may also answer, from the token and role checks. */
const GUARDED: Record<number, Answer> = {
  401: error('`unauthorized`: no token, or not a valid one'),
  403: error('`forbidden` (the role is below the one needed) or `candidate_not_allowed`'),
  429: error(
    '`too_many_failures`: this client showed too many wrong tokens; none is checked until Retry-After has passed',
  ),
};
/** What the body parser answers before a JSON or form body reaches the operation. */
const PARSED_BODY: Record<number, Answer> = {
  400: error('`bad_request`: the body could not be read (malformed JSON or form)'),
  413: error('`too_large`: the body is larger than allowed'),
  415: error('`unsupported_type`'),
};

/** The answers of an operation, those of the checks every request passes included. */
export function answersOf(op: Operation): Record<number, Answer> {
  return {
    ...EVERY_OPERATION,
    ...(op.role === null ? {} : GUARDED),
    ...(op.body && PARSED_BODIES.has(op.body.mediaType) ? PARSED_BODY : {}),
    ...op.responses,
  };
}

function responseConfig(answer: Answer): ResponseConfig {
  const content: NonNullable<ResponseConfig['content']> = {};
  if (answer.error) content['application/json'] = { schema: errorAnswer };
  if (answer.json) content['application/json'] = { schema: answer.json };
  // A browser gets every answer, errors included, as a page.
  if (answer.html || answer.error || answer.text === 'text/html')
    content['text/html'] = { schema: { type: 'string' } };
  if (answer.text && answer.text !== 'text/html') content[answer.text] = { schema: { type: 'string' } };
  return Object.keys(content).length > 0
    ? { description: answer.description, content }
    : { description: answer.description };
}

function routeConfig(op: Operation): RouteConfig {
  return {
    method: op.method,
    path: op.path,
    summary: op.summary,
    ...(op.role === null
      ? { security: [] }
      : { description: `Needs the ${op.role} role${op.role === 'organiser' ? ' (or operator)' : ''}.` }),
    request: {
      ...(op.params ? { params: op.params } : {}),
      ...(op.query ? { query: op.query } : {}),
      ...(op.body
        ? {
            body: {
              required: op.body.required,
              content: { [op.body.mediaType]: { schema: op.body.schema } },
            },
          }
        : {}),
    },
    responses: Object.fromEntries(
      Object.entries(answersOf(op)).map(([status, answer]) => [status, responseConfig(answer)]),
    ),
  };
}

function generate() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  registry.registerComponent('securitySchemes', 'cookie', {
    type: 'apiKey',
    in: 'cookie',
    name: 'callsync_session',
  });
  for (const op of Object.values(operations) as Operation[]) registry.registerPath(routeConfig(op));
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'call-sync config service',
      version: '1.0.0',
      description:
        "Candidate configuration, the organisers' configure and validate pages, the operator API (runs, reset, drop rate, call import) and the morning reports. Every endpoint but /healthz, /readyz and /metrics needs a bearer token (or the cookie /login sets); an organiser's token opens the reading endpoints (possibly for named candidates only), an operator's every endpoint, and anything else is a 403 naming the role needed. Pages answer HTML to browsers (Accept: text/html, or ?format=html) and JSON otherwise.",
    },
    security: [{ bearer: [] }, { cookie: [] }],
  });
}

/** The operator API as OpenAPI 3.1, generated from the operations' schemas. */
export const openApiDocument = generate();
