// VAN bills per request above 1,000 a day per key, and every van-writer replica posts with the
// same keys, so the day's count lives in Mongo (one document per key and Eastern day), not in a
// process that a restart would reset. `$inc` guarded by `used <= limit - n` makes it exact under
// concurrency: a request either takes a unit of today's budget or is refused.

import type { Db } from 'mongodb';
import { easternDayOf } from '@call-sync/core';
import { vanBudgetsCollection } from './collections';

/** The same shape as integrations' RequestBudget, so the VAN client can be handed this one. */
export interface SharedRequestBudget {
  tryConsume(): Promise<boolean>;
  remaining(): Promise<number>;
  /**
   * What is left today as this process last saw the day's document (at its last reservation),
   * without reading it again; undefined before the first reservation of the day. Stale by what
   * other processes took since: for a gauge, not for a decision.
   */
  remainingAsLastSeen(): number | undefined;
  /** Gives back the units this process took ahead and did not spend (at shutdown). */
  release(): Promise<void>;
}

export interface MongoRequestBudgetOptions {
  now?: () => Date;
  /**
   * Units taken from the day's document at once and then spent from memory. A busy key's writer
   * otherwise writes that one document for every request (200 a second), on each post's path and
   * beside the night's claims. Units held when the process dies are lost to the day: at most
   * this many per process and key, and never a request over the limit. Default 1.
   */
  reserveAhead?: number;
  /**
   * With blocks: once this many units or fewer are left in hand, the next block is taken in the
   * background, so a request seldom waits for the day's document on its way to VAN (a busy key
   * otherwise waited a round trip once a block). A dying process then loses at most this many
   * more. Default 0: a block is taken when the last one is spent.
   */
  refillAt?: number;
}

const isDuplicateKey = (error: unknown): boolean => (error as { code?: number }).code === 11000;

export function createMongoRequestBudget(
  db: Db,
  keyFingerprint: string,
  dailyLimit: number,
  options: MongoRequestBudgetOptions = {},
): SharedRequestBudget {
  const budgets = vanBudgetsCollection(db);
  const now = options.now ?? (() => new Date());
  const reserveAhead = Math.max(1, Math.floor(options.reserveAhead ?? 1));
  const refillAt = Math.max(0, Math.floor(options.refillAt ?? 0));
  const idFor = (day: string): string => `${keyFingerprint}:${day}`;
  /** Units taken from `heldDay`'s document and not spent yet. */
  let held = 0;
  let heldDay = '';
  let reserving: Promise<number> | undefined;
  /** The day's `used` as the last reservation left it (the limit after a refused single unit). */
  let seenUsed: { day: string; used: number } | undefined;

  async function take(day: string, units: number, upsert: boolean): Promise<boolean> {
    const taken = await budgets.findOneAndUpdate(
      { _id: idFor(day), used: { $lte: dailyLimit - units } },
      { $inc: { used: units }, $setOnInsert: { keyFingerprint, day } },
      { upsert, returnDocument: 'after' },
    );
    if (taken) seenUsed = { day, used: taken.used };
    else if (units === 1) seenUsed = { day, used: dailyLimit };
    return taken !== null;
  }

  async function takeUnits(day: string, units: number): Promise<boolean> {
    try {
      return await take(day, units, true);
    } catch (error) {
      // Either the day's document is too full (the upsert tried to create a second one), or two
      // writers created it at the same instant: one more try without upsert tells them apart.
      if (!isDuplicateKey(error)) throw error;
      return take(day, units, false);
    }
  }

  /** Units of a day that has ended are worth nothing: VAN's count started again. */
  function holdFor(day: string): void {
    if (heldDay === day) return;
    held = 0;
    heldDay = day;
  }

  /** Takes a block of the day's units, or one when fewer are left; how many it got. */
  async function reserve(day: string): Promise<number> {
    const block = Math.min(reserveAhead, dailyLimit);
    let got = (await takeUnits(day, block)) ? block : 0;
    if (got === 0 && block > 1) got = (await takeUnits(day, 1)) ? 1 : 0;
    holdFor(day);
    held += got;
    return got;
  }

  function startReserving(day: string): Promise<number> {
    reserving = reserve(day).finally(() => (reserving = undefined));
    return reserving;
  }

  return {
    async tryConsume(): Promise<boolean> {
      if (dailyLimit <= 0) return false;
      for (;;) {
        const day = easternDayOf(now());
        holdFor(day);
        if (held > 0) {
          held -= 1;
          if (held > 0 && held <= refillAt && !reserving) {
            // Nobody waits for it; a failure shows at the next reservation a request waits for.
            startReserving(day).catch(() => undefined);
          }
          return true;
        }
        // Requests arriving together wait for one reservation instead of each writing.
        if ((await (reserving ?? startReserving(day))) === 0) return false;
      }
    },
    async remaining(): Promise<number> {
      const day = easternDayOf(now());
      const doc = await budgets.findOne({ _id: idFor(day) });
      return Math.max(0, dailyLimit - (doc?.used ?? 0)) + (heldDay === day ? held : 0);
    },
    remainingAsLastSeen(): number | undefined {
      const day = easternDayOf(now());
      if (seenUsed?.day !== day) return undefined;
      return Math.max(0, dailyLimit - seenUsed.used) + (heldDay === day ? held : 0);
    },
    async release(): Promise<void> {
      if (held === 0) return;
      const [units, day] = [held, heldDay];
      held = 0;
      await budgets.updateOne({ _id: idFor(day) }, { $inc: { used: -units } });
    },
  };
}
