import {
  CANDIDATE_SLUG as SLUG,
  parseEasternDay,
  RUN_TRIGGERS,
  RunState,
  STRATEGIES,
  CANDIDATE_SYSTEMS,
} from '@call-sync/core';
import { z } from './zod';

// The pieces the operations' parameters and answers are made of. A parameter's `error` is the
// detail of the 400 it answers, word for word what the handlers said before the schemas.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const quoted = (input: unknown) => (typeof input === 'string' ? `, got "${input}"` : '');

export const errorAnswer = z
  .looseObject({
    error: z.string().openapi({ description: 'a stable code, e.g. bad_parameter, unknown_candidate' }),
    detail: z.string().openapi({ description: 'what went wrong, for a person' }),
  })
  .openapi('Error', {
    description: 'Every error: a code and a sentence; some carry more fields (runId, candidates, usage)',
  });

/** The error code of a parameter whose 400 is not `bad_parameter`. */
const ERROR_CODES = new WeakMap<z.ZodType, string>();
export const errorCodeOf = (schema: z.ZodType): string | undefined => ERROR_CODES.get(schema);

/** The candidate slug in a path; a malformed one is answered `bad_candidate`. */
export const candidateSlug = z
  .string()
  .regex(SLUG, { error: 'a candidate slug is lowercase letters, digits and dashes' })
  .openapi({ param: { description: 'a candidate slug' } });
ERROR_CODES.set(candidateSlug, 'bad_candidate');

/** A slug given as a filter in the query. */
export const slugFilter = (name: string) =>
  z
    .string()
    .regex(SLUG, { error: `${name} must be a slug` })
    .openapi({ param: { description: `only this ${name}` } });

export const uuidParam = (what: string) =>
  z
    .string()
    .regex(UUID, { error: `${what} is a UUID` })
    .openapi({ format: 'uuid' });

/** `YYYY-MM-DD`, an Eastern calendar day; the handler makes it a midnight-to-midnight window. */
export const dayParam = (name: string, description: string) =>
  z
    .string({ error: `${name} must be a day written YYYY-MM-DD` })
    .refine(isEasternDay, {
      error: (issue) => `${name} must be a day written YYYY-MM-DD${quoted(issue.input)}`,
    })
    .openapi({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', param: { description } });

function isEasternDay(day: string): boolean {
  try {
    parseEasternDay(day);
    return true;
  } catch {
    return false;
  }
}

/** `true`/`1` or `false`/`0` in a query (or a JSON boolean, where a body may carry the same name). */
export const flagParam = (name: string, description: string) =>
  z
    .enum(['true', 'false', '1', '0'], { error: `${name} must be true or false` })
    .openapi({ param: { description } });

export const isSet = (flag: boolean | string | undefined): boolean =>
  flag === true || flag === 'true' || flag === '1';

/** A whole number written in the query, from `min` to `max`; documented as the integer it is. */
export function wholeNumberParam(
  name: string,
  range: { min: number; max: number; quoteInput?: boolean },
  description: string,
) {
  const error = (issue: { input?: unknown }) =>
    `${name} must be a whole number from ${range.min} to ${range.max}${range.quoteInput ? quoted(issue.input) : ''}`;
  return z
    .string({ error })
    .refine((text) => /^\d{1,3}$/.test(text) && Number(text) >= range.min && Number(text) <= range.max, {
      error,
    })
    .transform(Number)
    .openapi({
      type: 'integer',
      minimum: range.min,
      maximum: range.max,
      param: { description },
    });
}

/** An optional whole number and its value when absent, which the document shows. */
export const wholeNumberOr = (fallback: number, schema: ReturnType<typeof wholeNumberParam>) =>
  schema.default(fallback).openapi({ default: fallback });

/** A Date as JSON writes it. */
export const timestamp = z.iso.datetime();
export const window = z.object({ start: timestamp, end: timestamp });
export const runState = z.enum(Object.values(RunState));
export const runTrigger = z.enum(RUN_TRIGGERS);
export const strategy = z.enum(STRATEGIES);
export const candidateSystem = z.enum(CANDIDATE_SYSTEMS);

export const configError = z
  .object({
    table: z.string(),
    rowId: z.string(),
    field: z.string(),
    message: z.string(),
    slug: z.string().optional(),
  })
  .openapi('ConfigurationError', { description: 'One problem of an Airtable row: table, row, field' });

export const check = z.object({ ok: z.boolean(), message: z.string() }).openapi('Check');
