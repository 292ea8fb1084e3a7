import { z } from 'zod';
import { CANDIDATE_SLUG } from '@call-sync/core';

// Who may use the config service's API and pages: the API_TOKENS entries, parsed once at start.

const API_ROLES = ['organiser', 'operator'] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** One entry of API_TOKENS: who holds the token (its name, shown in audits), and what it may do. */
export interface ApiToken {
  name: string;
  role: ApiRole;
  /** Slugs an organiser is limited to; undefined when every candidate is open to the token. */
  candidates?: string[];
  token: string;
  /** A bare token, from before roles: an operator. */
  legacy: boolean;
}

/** Who a request acts as: a token's entry without the token. */
export type Principal = Omit<ApiToken, 'token'>;

const TOKEN_ENTRY = /^([A-Za-z0-9_-]{1,40}):(organi[sz]er|operator)(?::([^:]*))?:([^:]+)$/;

// Problems name the entry by position and the token's name, never the token: it is a secret.
function parseApiTokens(value: string, ctx: z.RefinementCtx): ApiToken[] {
  const problem = (message: string) => ctx.addIssue({ code: 'custom', message });
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const parsed = entries.map((entry, index): ApiToken | undefined => {
    const match = TOKEN_ENTRY.exec(entry);
    if (!match) {
      // Only an entry without ':' is a bare token (the format before roles). Anything else is an
      // entry written wrong (`name:token`, an unknown role, a name with a space): taking it as a
      // bare token would make it an operator whose token is not the one its holder sends.
      if (entry.includes(':')) {
        problem(`entry ${index + 1} is not name:role[:candidates]:token (roles: ${API_ROLES.join(', ')})`);
        return undefined;
      }
      return { name: `token-${index + 1}`, role: 'operator', token: entry, legacy: true };
    }
    const [, name = '', role = '', list, token = ''] = match;
    const candidates = list === undefined ? undefined : list.split('|').filter(Boolean);
    if (candidates?.some((slug) => !CANDIDATE_SLUG.test(slug))) {
      problem(`entry ${index + 1} (${name}): candidates are slugs separated by |`);
    }
    if (candidates !== undefined && role === 'operator') {
      problem(`entry ${index + 1} (${name}): only an organiser is limited to named candidates`);
    }
    return {
      name,
      role: role === 'operator' ? 'operator' : 'organiser',
      ...(candidates && candidates.length > 0 ? { candidates } : {}),
      token,
      legacy: false,
    };
  });
  parsed.forEach((entry, index) => {
    if (!entry) return;
    if (entry.token.length < 16)
      problem(`entry ${index + 1} (${entry.name}): the token must be at least 16 characters`);
    if (parsed.findIndex((other) => other?.name === entry.name) !== index)
      problem(`entry ${index + 1}: the name ${entry.name} is used twice`);
    if (parsed.findIndex((other) => other?.token === entry.token) !== index)
      problem(`entry ${index + 1} (${entry.name}): the same token is given twice`);
  });
  return parsed.filter((entry) => entry !== undefined);
}

/** API_TOKENS' schema, for the service's settings. */
export const apiTokensEnv = {
  /**
   * Bearer tokens of the config service's API, comma-separated (a secret). Each is
   * `name:role:token` or `name:role:candidate-a|candidate-b:token` (an organiser limited to those
   * candidates); roles are `organiser` and `operator`. A bare token (no `:`) is an operator (the
   * format before roles), named `token-<position>`; the service warns about it at start-up. Any
   * other entry is refused.
   */
  API_TOKENS: z
    .string()
    .min(1)
    .transform((v, ctx) => parseApiTokens(v, ctx))
    .pipe(z.array(z.custom<ApiToken>()).min(1)),
};
