import type Koa from 'koa';
import { parseEasternDay, windowForDay, type ConfigError, type TimeWindow } from '@call-sync/core';
import type { ConfigCache } from '../config-cache';
import type { CandidateConfiguration } from '@call-sync/integrations';
import { HttpError } from './http-error';

/** Lowercase letters, digits and dashes, as `slugForReferenceName` makes them. */
const SLUG = /^[a-z0-9][a-z0-9-]{0,79}$/;

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
  const configuration = await cache.current();
  const found = configuration.candidates.get(slug);
  if (found) return found;
  const errors = configuration.errors.filter((error) => error.slug === slug);
  if (errors.length > 0) return { slug, errors };
  const candidates = [...configuration.candidates.keys()].sort();
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
