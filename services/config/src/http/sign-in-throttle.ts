import { isIP } from 'node:net';
import type Koa from 'koa';
import type { FailureCount, SignInFailuresRepository } from '../data-access/sign-in-failures-repository';
import { HttpError } from './http-error';

// Tokens are long and random, so guessing one is hopeless unless nothing slows the guesser. Wrong
// tokens — at the sign-in form and in bearer headers alike, or the header would be the way round
// the form — are counted per client in MongoDB, so every replica sees the same counts. A client
// past its limit has no token checked, not even a right one: a 200 among the 429s would tell a
// guesser which guess was right.
//
// A sign-in names no token: the one it shows is tried against every entry of API_TOKENS. Each wrong
// token is a guess at every token name at once, so the count per token name is one count of every
// client's wrong tokens together. Past its limit the service would rather not refuse everybody (a
// stranger could then lock every organiser out all night): a client that has shown a wrong token
// in its own window waits, one that has not is still checked. Many addresses then get one guess
// each per window, instead of the per-client limit each.

export interface SignInLimits {
  /** Wrong tokens one client may show within a window. */
  perClient: number;
  /** Wrong tokens all clients together may show within a window. */
  perTokenName: number;
  windowMs: number;
}

const EVERY_TOKEN_NAME = 'token-names';

/** Expands `::` so an IPv6 address can be cut at a group boundary. */
function ipv6Groups(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((group) => group.replace(/^0+(?=.)/, '').toLowerCase());
}

/**
 * The key a client's wrong tokens are counted under: its IPv4 address, or the /64 of its IPv6 one
 * (a host is handed a whole /64 and could take a fresh address for every guess).
 */
export function clientKey(address: string): string {
  if (isIP(address) !== 6) return `client:${address}`;
  return `client:${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

type ThrottleVerdict = { allowed: true } | { allowed: false; retryAt: Date; limit: 'client' | 'token_name' };

/** Whether a client's token may be checked, from the counts whose window is open. */
export function throttleVerdict(
  client: FailureCount | undefined,
  everyName: FailureCount | undefined,
  limits: Pick<SignInLimits, 'perClient' | 'perTokenName'>,
): ThrottleVerdict {
  if (client && client.count >= limits.perClient) {
    return { allowed: false, retryAt: client.until, limit: 'client' };
  }
  if (client && everyName && everyName.count >= limits.perTokenName) {
    const retryAt = Math.min(client.until.getTime(), everyName.until.getTime());
    return { allowed: false, retryAt: new Date(retryAt), limit: 'token_name' };
  }
  return { allowed: true };
}

function spoken(ms: number): string {
  if (ms < 90_000) {
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    return `${seconds} second${seconds === 1 ? '' : 's'}`;
  }
  return `${Math.ceil(ms / 60_000)} minutes`;
}

export interface SignInThrottle {
  /** A 429 with Retry-After when this request's client may not have a token checked now. */
  admit(ctx: Koa.Context): Promise<void>;
  /** Counts a wrong token from this request's client. */
  failed(ctx: Koa.Context): Promise<void>;
  /** A right token at the sign-in form: the client's count starts again. */
  signedIn(ctx: Koa.Context): Promise<void>;
}

/** `ctx.ip` is the client as the trusted proxies report it (see trusted-proxies.ts). */
export function createSignInThrottle(
  failures: SignInFailuresRepository,
  limits: SignInLimits,
  now: () => number = Date.now,
): SignInThrottle {
  const window = spoken(limits.windowMs);
  return {
    async admit(ctx) {
      const client = clientKey(ctx.ip);
      const counts = await failures.current([client, EVERY_TOKEN_NAME], new Date(now()));
      const verdict = throttleVerdict(counts.get(client), counts.get(EVERY_TOKEN_NAME), limits);
      if (verdict.allowed) return;
      const waitMs = verdict.retryAt.getTime() - now();
      const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
      ctx.set('Retry-After', String(retryAfterSeconds));
      const why =
        verdict.limit === 'client'
          ? `too many wrong tokens from your address (${limits.perClient} within ${window})`
          : `too many wrong tokens from many addresses within ${window}, and one from yours`;
      throw new HttpError(
        429,
        'too_many_failures',
        `${why}: no token from it is checked, not even a right one, for ${spoken(waitMs)}; try again then`,
        { retryAfterSeconds, limit: verdict.limit },
      );
    },
    async failed(ctx) {
      await failures.add([clientKey(ctx.ip), EVERY_TOKEN_NAME], new Date(now()), limits.windowMs);
    },
    async signedIn(ctx) {
      await failures.clear(clientKey(ctx.ip));
    },
  };
}
