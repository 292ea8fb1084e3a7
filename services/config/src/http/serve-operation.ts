import type Router from '@koa/router';
import type Koa from 'koa';
import type { z } from './api/zod';
import { PARSED_BODIES, type Operation } from './api/operations';
import { errorCodeOf } from './api/fields';
import { allow } from './access';
import { HttpError } from './http-error';

/** The parameters and body of a request, as the operation's schemas read them. */
export interface Input<O extends Operation> {
  params: O['params'] extends z.ZodObject ? z.output<O['params']> : Record<string, never>;
  query: O['query'] extends z.ZodObject ? z.output<O['query']> : Record<string, never>;
  body: O['body'] extends { schema: infer S extends z.ZodType } ? z.output<S> | undefined : undefined;
}

/** `/runs/{ref}` as koa-router writes it, `/runs/:ref`. */
const routePath = (op: Pick<Operation, 'path'>): string => op.path.replace(/\{(\w+)\}/g, ':$1');

/**
 * Serves an operation: the role guard first (the access check walks every route for it), then the
 * request read through the operation's schemas — a 400 before the handler runs when it does not fit.
 */
export function serve<O extends Operation>(
  router: Router,
  op: O,
  handler: (ctx: Koa.Context, input: Input<O>) => unknown,
): void {
  const handle = async (ctx: Koa.Context) => {
    await handler(ctx, readInput(ctx, op));
  };
  const path = routePath(op);
  if (op.role === null) router[op.method](path, handle);
  else router[op.method](path, allow(op.role), handle);
}

function readInput<O extends Operation>(ctx: Koa.Context, op: O): Input<O> {
  const params = op.params ? parsePart(op, 'params', op.params, ctx.params) : {};
  const body =
    op.body && PARSED_BODIES.has(op.body.mediaType)
      ? parsePart(op, 'body', op.body.schema, ctx.request.body ?? {})
      : undefined;
  const query = op.query ? parsePart(op, 'query', op.query, singleValues(ctx, op.query)) : {};
  return { params, query, body } as Input<O>;
}

/** The declared query parameters, each given at most once: a repeated one is refused, not guessed at. */
function singleValues(ctx: Koa.Context, schema: z.ZodObject): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = ctx.query[name];
    if (Array.isArray(value)) throw new HttpError(400, 'bad_parameter', `${name} is given more than once`);
    if (value !== undefined && value !== '') values[name] = value;
  }
  return values;
}

function parsePart(
  op: Operation,
  part: 'params' | 'query' | 'body',
  schema: z.ZodType,
  value: unknown,
): unknown {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  // The body's own shape first (not an object, unknown fields), as a misspelt field explains the rest.
  const issue = issues.find((candidate) => candidate.path.length === 0) ?? issues[0];
  if (part === 'body' && issue?.path.length === 0) throw badBody(issue, schema);
  const field = String(issue?.path[0] ?? '');
  const missing = (value as Record<string, unknown>)[field] === undefined;
  const detail = missing && op.invalid?.missing ? op.invalid.missing : (issue?.message ?? 'bad request');
  const fieldSchema = (schema as z.ZodObject).shape?.[field];
  const code = fieldSchema ? errorCodeOf(fieldSchema) : undefined;
  throw new HttpError(400, code ?? 'bad_parameter', detail, op.invalid?.extra);
}

function badBody(issue: z.core.$ZodIssue, schema: z.ZodType): HttpError {
  if (issue.code !== 'unrecognized_keys')
    return new HttpError(400, 'bad_body', 'the body must be a JSON object');
  const allowed = Object.keys((schema as z.ZodObject).shape);
  const accepted =
    allowed.length > 0 ? `accepted: ${allowed.join(', ')}` : 'this request takes no body fields';
  return new HttpError(
    400,
    'bad_body',
    `unknown body field ${issue.keys.map((key) => `"${key.slice(0, 60)}"`).join(', ')}; ${accepted}`,
  );
}
