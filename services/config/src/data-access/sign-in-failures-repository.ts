import { MongoServerError, type Collection, type Db } from 'mongodb';
import { Collections } from '@call-sync/platform';

/** Wrong tokens counted under one key (a client, or every token name) since `since`, until `until`. */
interface SignInFailureDocument {
  _id: string;
  count: number;
  since: Date;
  until: Date;
}

export type FailureCount = Pick<SignInFailureDocument, 'count' | 'until'>;

export interface SignInFailuresRepository {
  /** The counts of `keys` whose window is still open at `now`. */
  current(keys: string[], now: Date): Promise<Map<string, FailureCount>>;
  /** One more wrong token under each key; a key without an open window opens one of `windowMs`. */
  add(keys: string[], now: Date, windowMs: number): Promise<void>;
  clear(key: string): Promise<void>;
}

const DUPLICATE_KEY = 11000;

export function createSignInFailuresRepository(db: Db): SignInFailuresRepository {
  const failures: Collection<SignInFailureDocument> = db.collection(Collections.SignInFailures);

  async function addOne(key: string, now: Date, windowMs: number): Promise<void> {
    // Two replicas may count the same key at once: the $inc of an open window is atomic, and of two
    // that both open a window one insert wins, the other finds the open window on its next turn.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const open = await failures.updateOne({ _id: key, until: { $gt: now } }, { $inc: { count: 1 } });
      if (open.matchedCount > 0) return;
      try {
        await failures.updateOne(
          { _id: key, until: { $lte: now } },
          { $set: { count: 1, since: now, until: new Date(now.getTime() + windowMs) } },
          { upsert: true },
        );
        return;
      } catch (error) {
        if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
      }
    }
  }

  return {
    async current(keys, now) {
      const open = await failures.find({ _id: { $in: keys }, until: { $gt: now } }).toArray();
      return new Map(open.map(({ _id, count, until }) => [_id, { count, until }]));
    },
    async add(keys, now, windowMs) {
      for (const key of keys) await addOne(key, now, windowMs);
    },
    async clear(key) {
      await failures.deleteOne({ _id: key });
    },
  };
}
