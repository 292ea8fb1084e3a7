import type Koa from 'koa';
import type { ConfigError } from '@call-sync/core';
import type { ConfigCache } from '../config-cache';
import type { CandidateConfiguration } from '@call-sync/integrations';
import { HttpError } from './http-error';
import { assertCandidateAllowed, mayAccessCandidate, principalOf } from './access';

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

/** A listing row that names a candidate but cannot be read (no district, an unknown strategy). */
export interface BrokenListingRow {
  slug: string;
  errors: ConfigError[];
}

/**
 * The candidate named in the path, or the errors of its listing row when the row exists but
 * cannot be read (docs/behaviour.md#configuration: a broken row is a validation error for that row, not an unknown
 * candidate). 404 listing the valid ones when no row names it; the slug's form is the operation's check.
 */
export async function candidateOrBrokenRow(
  ctx: Koa.Context,
  cache: ConfigCache,
  slug: string,
): Promise<CandidateConfiguration | BrokenListingRow> {
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
export async function candidateParam(
  ctx: Koa.Context,
  cache: ConfigCache,
  slug: string,
): Promise<CandidateConfiguration> {
  const found = await candidateOrBrokenRow(ctx, cache, slug);
  if ('candidate' in found) return found;
  const problems = found.errors.map((error) => `${error.field} ${error.message}`).join('; ');
  throw new HttpError(
    422,
    'candidate_row_invalid',
    `the Listing row of "${found.slug}" cannot be read, so the candidate is not configured: ${problems}`,
    { candidate: found.slug, configurationErrors: found.errors },
  );
}
