import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from '@call-sync/platform';
import type { ApiToken, Principal } from '../api-tokens';
import type { SessionsRepository } from '../data-access/sessions-repository';

// A browser's sign-in is a session cookie, never the API token: the cookie is
// `v3.<expires, unix seconds>.<token name>.<role>.<token tag>.<session id>.<signature>`,
// HMAC-SHA256 signed with SESSION_SECRET, so a forged or altered cookie is refused without a
// database read. The token tag is an HMAC of the token under the same secret: it cannot be walked
// back to the token, and a token taken out of API_TOKENS (or given another name or role) takes its
// sessions with it. What a session may do is read from the token's current entry, so narrowing a
// token's candidates narrows its open sessions too.
//
// A signature alone cannot be taken back, so the session id names a document in MongoDB (shared by
// every replica, found by the id's SHA-256): logout deletes it, and each request moves its idle end
// on, so a copied cookie is worth nothing once its owner signed out or walked away.

const VERSION = 'v3';
const TAG_LENGTH = 22;
/** 144 random bits: 24 base64url characters, never guessed. */
const ID_BYTES = 18;

export type SessionCheck =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' | 'revoked' | 'ended' };

export interface Sessions {
  /** Opens a session for a browser that presented `token` (already checked against API_TOKENS). */
  issue(token: ApiToken): Promise<string>;
  check(value: string): Promise<SessionCheck>;
  /** Ends the session a cookie names (logout); a cookie this service did not sign ends nothing. */
  end(value: string): Promise<void>;
}

export interface SessionOptions {
  secret: string;
  tokens: readonly ApiToken[];
  /** The cap, however busy the session is. */
  ttlMs: number;
  /** How long a session lives without a request. */
  idleMs: number;
  store: SessionsRepository;
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

const idHash = (id: string) => createHash('sha256').update(id).digest('base64url');

export function createSessions(options: SessionOptions): Sessions {
  const now = options.now ?? Date.now;
  const hmac = (text: string) => createHmac('sha256', options.secret).update(text).digest('base64url');
  const tagOf = (token: string) => hmac(`token:${token}`).slice(0, TAG_LENGTH);
  const byTag = new Map(options.tokens.map((entry) => [tagOf(entry.token), principalOf(entry)]));
  const idleEnd = (at: number, endsAt: number) => new Date(Math.min(at + options.idleMs, endsAt));

  /** The signed fields of a cookie, or why it is not one of ours. */
  function read(value: string) {
    const parts = value.split('.');
    if (parts.length !== 7 || parts[0] !== VERSION)
      return { ok: false as const, reason: 'malformed' as const };
    const [, expires = '', name = '', role = '', tag = '', id = '', signature = ''] = parts;
    const expected = Buffer.from(hmac(parts.slice(0, 6).join('.')));
    const presented = Buffer.from(signature);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      return { ok: false as const, reason: 'bad_signature' as const };
    }
    if (!/^\d+$/.test(expires)) return { ok: false as const, reason: 'malformed' as const };
    return { ok: true as const, endsAt: Number(expires) * 1000, name, role, tag, id };
  }

  return {
    async issue(entry) {
      const at = now();
      const expires = Math.floor((at + options.ttlMs) / 1000);
      const id = randomBytes(ID_BYTES).toString('base64url');
      await options.store.open({
        _id: idHash(id),
        name: entry.name,
        role: entry.role,
        createdAt: new Date(at),
        lastSeenAt: new Date(at),
        expiresAt: idleEnd(at, expires * 1000),
        endsAt: new Date(expires * 1000),
      });
      const payload = [VERSION, expires, entry.name, entry.role, tagOf(entry.token), id].join('.');
      return `${payload}.${hmac(payload)}`;
    },
    async check(value) {
      const cookie = read(value);
      if (!cookie.ok) return cookie;
      const at = now();
      if (cookie.endsAt <= at) return { ok: false, reason: 'expired' };
      const principal = byTag.get(cookie.tag);
      if (!principal || principal.name !== cookie.name || principal.role !== cookie.role) {
        return { ok: false, reason: 'revoked' };
      }
      const live = await options.store.touch(idHash(cookie.id), new Date(at), idleEnd(at, cookie.endsAt));
      if (!live) return { ok: false, reason: 'ended' };
      return { ok: true, principal };
    },
    async end(value) {
      const cookie = read(value);
      if (cookie.ok) await options.store.end(idHash(cookie.id));
    },
  };
}
