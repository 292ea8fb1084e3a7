import type Koa from 'koa';
import type Router from '@koa/router';
import type { ApiRole, Principal } from '../api-tokens';
import { HttpError } from './http-error';

// Roles fit the people who hold the tokens: an organiser checks and reads (configure, validate,
// runs, reports), maybe for named candidates only; an operator may also change things (run now,
// reset, import, refresh). Every route names the role it needs with `allow(...)` as its first
// middleware, and `assertEveryRouteGuarded` refuses to start a service with a route that does not.

const RANK: Record<ApiRole, number> = { organiser: 1, operator: 2 };
const GUARD = Symbol('call-sync access guard');

type Guard = Koa.Middleware & { [GUARD]: ApiRole };

/** The principal `requireToken` found for this request. */
export function principalOf(ctx: Koa.Context): Principal {
  const principal = ctx.state.principal as Principal | undefined;
  if (!principal) throw new HttpError(401, 'unauthorized', 'this endpoint needs a token');
  return principal;
}

/** First middleware of a route: 403, naming the role needed, for a token whose role is below it. */
export function allow(role: ApiRole): Guard {
  const guard = (async (ctx: Koa.Context, next: Koa.Next) => {
    const principal = principalOf(ctx);
    if (RANK[principal.role] < RANK[role]) {
      throw new HttpError(
        403,
        'forbidden',
        `this needs the ${role} role; the token "${principal.name}" is an ${principal.role}`,
        { requiredRole: role, role: principal.role },
      );
    }
    await next();
  }) as Guard;
  guard[GUARD] = role;
  return guard;
}

/** `METHOD path` of every route, each with the role its guard names; throws for an unguarded route. */
export function assertEveryRouteGuarded(routers: readonly Router[]): Map<string, ApiRole> {
  const roles = new Map<string, ApiRole>();
  for (const router of routers) {
    for (const layer of router.stack) {
      const methods = layer.methods.filter((method) => method !== 'HEAD');
      if (methods.length === 0) continue; // router.use() middleware, not a route
      const first = layer.stack[0] as Partial<Guard> | undefined;
      const role = first?.[GUARD];
      for (const method of methods) {
        if (!role)
          throw new Error(`route ${method} ${String(layer.path)} names no role: start it with allow(...)`);
        roles.set(`${method} ${String(layer.path)}`, role);
      }
    }
  }
  return roles;
}

/** Whether the token may see `slug`: every candidate, unless its entry names some. */
export function mayAccessCandidate(principal: Principal, slug: string): boolean {
  return principal.candidates === undefined || principal.candidates.includes(slug);
}

/** 403 for a candidate outside the token's list, before anything about the candidate is read. */
export function assertCandidateAllowed(ctx: Koa.Context, slug: string): void {
  const principal = principalOf(ctx);
  if (mayAccessCandidate(principal, slug)) return;
  throw new HttpError(
    403,
    'candidate_not_allowed',
    `the token "${principal.name}" is limited to ${principal.candidates?.join(', ')}; "${slug}" is not among them`,
    { candidates: principal.candidates },
  );
}
