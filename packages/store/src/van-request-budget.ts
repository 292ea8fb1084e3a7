// VAN bills per request above 1,000 a day per key, and every van-writer replica posts with the
// same keys, so the day's count lives in Mongo (one document per key and Eastern day), not in a
// process that a restart would reset. `$inc` guarded by `used < limit` makes it exact under
// concurrency: a request either takes one unit of today's budget or is refused.

import type { Db } from 'mongodb';
import { easternDayOf } from '@call-sync/core';
import { vanBudgetsCollection } from './collections';

/** The same shape as integrations' RequestBudget, so the VAN client can be handed this one. */
export interface SharedRequestBudget {
  tryConsume(): Promise<boolean>;
  remaining(): Promise<number>;
}

const isDuplicateKey = (error: unknown): boolean => (error as { code?: number }).code === 11000;

export function createMongoRequestBudget(
  db: Db,
  keyFingerprint: string,
  dailyLimit: number,
  now: () => Date = () => new Date(),
): SharedRequestBudget {
  const budgets = vanBudgetsCollection(db);
  const idFor = (day: string): string => `${keyFingerprint}:${day}`;

  async function take(day: string, upsert: boolean): Promise<boolean> {
    const taken = await budgets.findOneAndUpdate(
      { _id: idFor(day), used: { $lt: dailyLimit } },
      { $inc: { used: 1 }, $setOnInsert: { keyFingerprint, day } },
      { upsert, returnDocument: 'after' },
    );
    return taken !== null;
  }

  return {
    async tryConsume(): Promise<boolean> {
      if (dailyLimit <= 0) return false;
      const day = easternDayOf(now());
      try {
        return await take(day, true);
      } catch (error) {
        // Either the day's document is full (the upsert tried to create a second one), or two
        // writers created it at the same instant: one more try without upsert tells them apart.
        if (!isDuplicateKey(error)) throw error;
        return take(day, false);
      }
    },
    async remaining(): Promise<number> {
      const doc = await budgets.findOne({ _id: idFor(easternDayOf(now())) });
      return Math.max(0, dailyLimit - (doc?.used ?? 0));
    },
  };
}
