import { randomUUID } from 'node:crypto';
import type { Collection, Db, Filter } from 'mongodb';
import { Collections } from '@call-sync/platform';
import type { ApiRole } from '../api-tokens';

export const AUDIT_ACTIONS = [
  'run_requested',
  'dry_run',
  'reset',
  'import',
  'config_refresh',
  'outcome_confirmed',
  'outcome_reposted',
  'denied',
] as const;
type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * One operator action: who (the token's name from API_TOKENS — never the token), when, what, and
 * how it ended. Written after the action, so an entry says what was done, not what was tried. A
 * request refused with 401 or 403 is an entry too (`denied`), with where it came from; a 401 has
 * no actor, since no token was accepted.
 */
export interface AuditEntry {
  _id: string;
  at: Date;
  actor?: string;
  role?: ApiRole;
  /** How the token was shown: an API client's bearer header or a browser's session. */
  via?: 'bearer' | 'session';
  action: AuditAction;
  candidate?: string;
  outcome: 'done' | 'failed';
  /** One line a person reads on the audit page. */
  summary: string;
  details: Record<string, unknown>;
}

export type NewAuditEntry = Omit<AuditEntry, '_id' | 'at'>;

interface AuditListFilter {
  candidate?: string;
  limit: number;
  /** Entries to pass over, newest first: the pages after the first. */
  offset?: number;
}

export interface AuditRepository {
  record(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Newest first. */
  list(filter: AuditListFilter): Promise<AuditEntry[]>;
}

export function createAuditRepository(db: Db): AuditRepository {
  const audit: Collection<AuditEntry> = db.collection(Collections.Audit);
  return {
    async record(entry) {
      const document: AuditEntry = { _id: randomUUID(), at: new Date(), ...entry };
      await audit.insertOne(document);
      return document;
    },
    list({ candidate, limit, offset = 0 }) {
      const filter: Filter<AuditEntry> = candidate ? { candidate } : {};
      return audit.find(filter).sort({ at: -1 }).skip(offset).limit(limit).toArray();
    },
  };
}
