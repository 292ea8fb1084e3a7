import type { Collection, Db } from 'mongodb';
import { Collections } from '@call-sync/platform';
import type { ApiRole } from '../api-tokens';

/**
 * A browser's sign-in, shared by every replica. Found by the SHA-256 of the id in its cookie: the
 * database never holds the id, so a copy of the collection signs nobody in.
 */
interface SessionDocument {
  /** SHA-256 of the session id, base64url. */
  _id: string;
  /** The token's name and role when it signed in (what it may do is read from API_TOKENS). */
  name: string;
  role: ApiRole;
  createdAt: Date;
  lastSeenAt: Date;
  /** When it ends unless it is used again: the idle limit, never past `endsAt`. */
  expiresAt: Date;
  /** The end its cookie carries, however busy it is. */
  endsAt: Date;
}

export interface SessionsRepository {
  open(session: SessionDocument): Promise<void>;
  /**
   * A live session, its idle end moved on to `expiresAt`; undefined when it has ended (signed out,
   * idle too long, or never opened here).
   */
  touch(idHash: string, now: Date, expiresAt: Date): Promise<SessionDocument | undefined>;
  end(idHash: string): Promise<void>;
}

export function createSessionsRepository(db: Db): SessionsRepository {
  const sessions: Collection<SessionDocument> = db.collection(Collections.Sessions);
  return {
    async open(session) {
      await sessions.insertOne(session);
    },
    async touch(idHash, now, expiresAt) {
      // One compare-and-set: a logout (a delete) between a read and a write cannot be undone.
      const found = await sessions.findOneAndUpdate(
        { _id: idHash, expiresAt: { $gt: now } },
        { $set: { lastSeenAt: now, expiresAt } },
        { returnDocument: 'after' },
      );
      return found ?? undefined;
    },
    async end(idHash) {
      await sessions.deleteOne({ _id: idHash });
    },
  };
}
