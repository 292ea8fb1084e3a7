import type Koa from 'koa';
import { parseEasternDay, windowForDay, type ConfigError, type TimeWindow } from '@call-sync/core';
import type { ConfigCache } from '../config-cache';
import type { CandidateConfiguration } from '@call-sync/integrations';
import { HttpError } from './http-error';
import { assertCandidateAllowed, mayAccessCandidate, principalOf } from './access';

/** Lowercase letters, digits and dashes, as `slugForReferenceName` makes them. */
const SLUG = /^[a-z0-9][a-z0-9-]{0,79}$/;

/**
 * Query parameter names are plain words: `service_name[$ne]=x` is refused, not silently ignored,
 * so nobody mistakes a parser quirk for an operator that reached MongoDB.
 */
export function plainQueryNames(): Koa.Middleware {
  return async (ctx, next) => {
    const odd = Object.keys(ctx.query).find((name) => !/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(name));
    if (odd !== undefined) {
      throw new HttpError(
        400,
        'bad_parameter',
        `query parameter names are plain words, not "${odd.slice(0, 60)}"`,
      );
    }
    await next();
  };
}

/**
 * The parsed body (JSON or form) as an object of only the `allowed` fields: anything else — an
 * array, `{"$gt": ""}`, a misspelt field — is a 400 naming it, never passed on.
 */
export function bodyFields(ctx: Koa.Context, allowed: readonly string[]): Record<string, unknown> {
  const body: unknown = ctx.request.body ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'bad_body', 'the body must be a JSON object');
  }
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    const accepted =
      allowed.length > 0 ? `accepted: ${allowed.join(', ')}` : 'this request takes no body fields';
    throw new HttpError(
      400,
      'bad_body',
      `unknown body field ${unknown.map((key) => `"${key.slice(0, 60)}"`).join(', ')}; ${accepted}`,
    );
  }
  return body as Record<string, unknown>;
}

/** A query parameter given at most once; a repeated one is refused rather than guessed at. */
export function singleQuery(ctx: Koa.Context, name: string): string | undefined {
  const value = ctx.query[name];
  if (Array.isArray(value)) throw new HttpError(400, 'bad_parameter', `${name} is given more than once`);
  return value === undefined || value === '' ? undefined : value;
}

export function booleanQuery(ctx: Koa.Context, name: string, fallback?: unknown): boolean {
  const value = singleQuery(ctx, name) ?? (typeof fallback === 'boolean' ? String(fallback) : fallback);
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw new HttpError(400, 'bad_parameter', `${name} must be true or false`);
}

/** A listing row that names a candidate but cannot be read (no district, an unknown strategy). */
export interface BrokenListingRow {
  slug: string;
  errors: ConfigError[];
}

/**
 * The candidate named in the path, or the errors of its listing row when the row exists but
 * cannot be read (SPEC 2.3: a broken row is a validation error for that row, not an unknown
 * candidate). 400 for a malformed slug, 404 listing the valid ones when no row names it.
 */
export async function candidateOrBrokenRow(
  ctx: Koa.Context,
  cache: ConfigCache,
): Promise<CandidateConfiguration | BrokenListingRow> {
  const slug = String(ctx.params.candidate ?? '');
  if (!SLUG.test(slug)) {
    throw new HttpError(400, 'bad_candidate', 'a candidate slug is lowercase letters, digits and dashes');
  }
  assertCandidateAllowed(ctx, slug);
  const configuration = await cache.current();
  const found = configuration.candidates.get(slug);
  if (found) return found;
  const errors = configuration.errors.filter((error) => error.slug === slug);
  if (errors.length > 0) return { slug, errors };
  const candidates = [...configuration.candidates.keys()]
    .filter((key) => mayAccessCandidate(principalOf(ctx), key))
    .sort();
  throw new HttpError(
    404,
    'unknown_candidate',
    `no candidate "${slug}"; valid candidates: ${candidates.join(', ') || '(none configured)'}`,
    { candidates },
  );
}

/** The candidate named in the path; a broken listing row is a 422 that names the row's problems. */
export async function candidateParam(ctx: Koa.Context, cache: ConfigCache): Promise<CandidateConfiguration> {
  const found = await candidateOrBrokenRow(ctx, cache);
  if ('candidate' in found) return found;
  const problems = found.errors.map((error) => `${error.field} ${error.message}`).join('; ');
  throw new HttpError(
    422,
    'candidate_row_invalid',
    `the Listing row of "${found.slug}" cannot be read, so the candidate is not configured: ${problems}`,
    { candidate: found.slug, configurationErrors: found.errors },
  );
}

/** `?window=YYYY-MM-DD`: that Eastern day, midnight to midnight. */
export function windowParam(ctx: Koa.Context, name = 'window', fallback?: unknown): TimeWindow | undefined {
  const day = singleQuery(ctx, name) ?? fallback;
  if (day === undefined) return undefined;
  if (typeof day !== 'string')
    throw new HttpError(400, 'bad_parameter', `${name} must be a day written YYYY-MM-DD`);
  try {
    parseEasternDay(day);
  } catch {
    throw new HttpError(400, 'bad_parameter', `${name} must be a day written YYYY-MM-DD, got "${day}"`);
  }
  return windowForDay(day);
}
