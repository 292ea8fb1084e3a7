import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiToken, Logger } from '@call-sync/platform';

// A browser's sign-in is a session cookie, never the API token: the cookie is
// `v2.<expires, unix seconds>.<token name>.<role>.<token tag>.<signature>`, HMAC-SHA256 signed
// with SESSION_SECRET. Stateless, so every replica accepts what another signed when they share the
// secret. The token tag is an HMAC of the token under the same secret: it cannot be walked back to
// the token, and a token taken out of API_TOKENS (or given another name or role) takes its
// sessions with it. What a session may do is read from the token's current entry, so narrowing
// a token's candidates narrows its open sessions too.

const VERSION = 'v2';
const TAG_LENGTH = 22;

/** Who a request acts as: a token's entry without the token. */
export type Principal = Omit<ApiToken, 'token'>;

export type SessionCheck =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' | 'revoked' };

export interface Sessions {
  /** A session value for a browser that presented `token` (already checked against API_TOKENS). */
  issue(token: ApiToken): string;
  check(value: string): SessionCheck;
}

export interface SessionOptions {
  secret: string;
  tokens: readonly ApiToken[];
  ttlMs: number;
  now?: () => number;
}

export function principalOf({ token: _secret, ...principal }: ApiToken): Principal {
  return principal;
}

/** SESSION_SECRET, or a random one for this process with a warning: sessions then end with it. */
export function sessionSecret(configured: string | undefined, logger: Logger): string {
  if (configured) return configured;
  logger.warn(
    'SESSION_SECRET is not set: sign-in sessions are signed with a random secret of this process, so they ' +
      'end when it restarts and other replicas refuse them; set SESSION_SECRET (32+ characters) to share it',
  );
  return randomBytes(32).toString('base64url');
}

export function createSessions(options: SessionOptions): Sessions {
  const now = options.now ?? Date.now;
  const hmac = (text: string) => createHmac('sha256', options.secret).update(text).digest('base64url');
  const tagOf = (token: string) => hmac(`token:${token}`).slice(0, TAG_LENGTH);
  const byTag = new Map(options.tokens.map((entry) => [tagOf(entry.token), principalOf(entry)]));

  return {
    issue(entry) {
      const expires = Math.floor((now() + options.ttlMs) / 1000);
      const payload = [VERSION, expires, entry.name, entry.role, tagOf(entry.token)].join('.');
      return `${payload}.${hmac(payload)}`;
    },
    check(value) {
      const parts = value.split('.');
      if (parts.length !== 6 || parts[0] !== VERSION) return { ok: false, reason: 'malformed' };
      const [, expires = '', name = '', role = '', tag = '', signature = ''] = parts;
      const expected = Buffer.from(hmac(parts.slice(0, 5).join('.')));
      const presented = Buffer.from(signature);
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
        return { ok: false, reason: 'bad_signature' };
      }
      if (!/^\d+$/.test(expires) || Number(expires) * 1000 <= now()) return { ok: false, reason: 'expired' };
      const principal = byTag.get(tag);
      if (!principal || principal.name !== name || principal.role !== role) {
        return { ok: false, reason: 'revoked' };
      }
      return { ok: true, principal };
    },
  };
}
