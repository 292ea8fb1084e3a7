import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from '@call-sync/platform';

// A browser's sign-in is a session cookie, never the API token: the cookie is
// `v1.<expires, unix seconds>.<token tag>.<signature>`, HMAC-SHA256 signed with SESSION_SECRET.
// Stateless, so every replica accepts what another signed when they share the secret. The token
// tag is an HMAC of the token under the same secret: it cannot be walked back to the token, and a
// token taken out of API_TOKENS takes its sessions with it.

const VERSION = 'v1';
const TAG_LENGTH = 22;

export type SessionCheck =
  { ok: true } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' | 'revoked' };

export interface Sessions {
  /** A session value for a browser that presented `token` (already checked against API_TOKENS). */
  issue(token: string): string;
  check(value: string): SessionCheck;
}

export interface SessionOptions {
  secret: string;
  tokens: readonly string[];
  ttlMs: number;
  now?: () => number;
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
  const currentTags = new Set(options.tokens.map(tagOf));

  return {
    issue(token) {
      const expires = Math.floor((now() + options.ttlMs) / 1000);
      const payload = `${VERSION}.${expires}.${tagOf(token)}`;
      return `${payload}.${hmac(payload)}`;
    },
    check(value) {
      const parts = value.split('.');
      if (parts.length !== 4 || parts[0] !== VERSION) return { ok: false, reason: 'malformed' };
      const [, expires = '', tag = '', signature = ''] = parts;
      const expected = Buffer.from(hmac(`${VERSION}.${expires}.${tag}`));
      const presented = Buffer.from(signature);
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
        return { ok: false, reason: 'bad_signature' };
      }
      if (!/^\d+$/.test(expires) || Number(expires) * 1000 <= now()) return { ok: false, reason: 'expired' };
      if (!currentTags.has(tag)) return { ok: false, reason: 'revoked' };
      return { ok: true };
    },
  };
}
