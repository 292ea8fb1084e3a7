// A night at a glance: per candidate, the last 14 calling days from the runs' stored counts, and
// the VAN requests its key has spent today against the daily budget. A drop or a spike is seen
// on the runs page without reading run after run.

import type { Db } from 'mongodb';
import {
  addDays,
  callingDay,
  easternDayOf,
  easternInstant,
  parseEasternDay,
  type EasternDay,
  type Secret,
} from '@call-sync/core';
import { callsCollection, runsCollection, vanBudgetsCollection, type RunDocument } from '@call-sync/store';
import { apiKeyFingerprint } from './unloaded-api-key';

const NIGHTS = 14;

export interface Night {
  day: EasternDay;
  /** Calls the night's runs claimed. */
  calls: number;
  /** Finished through VAN: a post, a Bulk Import row, or a person's confirmation. */
  van: number;
  /** Finished as a row of a results CSV. */
  csv: number;
  /** Errors before or from VAN, the outcome-unknown ones aside. */
  errors: number;
  /** Posts VAN may or may not hold, for a person to check. */
  unknown: number;
}

export interface CandidateNights {
  candidate: string;
  nights: Night[];
  /** Today's (Eastern) VAN requests of the candidate's key; null without a VAN key. */
  budget: { day: EasternDay; used: number; limit: number; sharedWith: string[] } | null;
}

type RunFacts = Pick<
  RunDocument,
  'runId' | 'candidate' | 'window' | 'strategy' | 'callsClaimed' | 'counts' | 'csvExport'
>;

/**
 * How a run's finished calls split between VAN and the CSV: an all-csv run sends none to VAN; a
 * hybrid run's results CSV holds its CSV calls (once exported), the rest went to VAN; full and
 * bulk runs make no results CSV.
 */
function split(run: RunFacts): { van: number; csv: number } {
  const finished = run.counts?.finished ?? 0;
  if (run.strategy === 'all csv') return { van: 0, csv: finished };
  if (run.strategy === 'hybrid') {
    const csv = Math.min(finished, run.csvExport?.rows ?? 0);
    return { van: finished - csv, csv };
  }
  return { van: finished, csv: 0 };
}

export async function nightsAtAGlance(
  db: Db,
  options: {
    candidates: { slug: string; apiKey: Secret | undefined }[];
    dailyBudget: number;
    now?: Date;
  },
): Promise<CandidateNights[]> {
  const { candidates, dailyBudget } = options;
  if (candidates.length === 0) return [];
  const today = easternDayOf(options.now ?? new Date());
  const days = Array.from({ length: NIGHTS }, (_, i) => addDays(today, i - NIGHTS + 1));
  // A night's run opens at the end of its window, at the earliest the calling day's noon.
  const since = easternInstant({ ...parseEasternDay(days[0]!), hour: 0, minute: 0, second: 0 });
  const runs = (await runsCollection(db)
    .find(
      { candidate: { $in: candidates.map((c) => c.slug) }, openedAt: { $gte: since }, dryRun: false },
      {
        projection: {
          _id: 0,
          runId: 1,
          candidate: 1,
          window: 1,
          strategy: 1,
          callsClaimed: 1,
          counts: 1,
          'csvExport.rows': 1,
        },
      },
    )
    .toArray()) as RunFacts[];
  const unknownByRun = new Map<string, number>();
  if (runs.length > 0) {
    const groups = await callsCollection(db)
      .aggregate<{ _id: string; n: number }>([
        { $match: { outcome_unknown: true, run_id: { $in: runs.map((run) => run.runId) } } },
        { $group: { _id: '$run_id', n: { $sum: 1 } } },
      ])
      .toArray();
    for (const group of groups) unknownByRun.set(group._id, group.n);
  }

  const nights = new Map<string, Night>();
  const nightOf = (candidate: string, day: EasternDay): Night => {
    const key = `${candidate}\n${day}`;
    let night = nights.get(key);
    if (!night) {
      night = { day, calls: 0, van: 0, csv: 0, errors: 0, unknown: 0 };
      nights.set(key, night);
    }
    return night;
  };
  for (const run of runs) {
    const day = easternDayOf(callingDay(run.window));
    if (!days.includes(day)) continue;
    const night = nightOf(run.candidate, day);
    const { van, csv } = split(run);
    const unknown = unknownByRun.get(run.runId) ?? 0;
    night.calls += run.callsClaimed;
    night.van += van;
    night.csv += csv;
    night.unknown += unknown;
    night.errors += Math.max(
      0,
      (run.counts?.attempted_error ?? 0) + (run.counts?.unattempted_error ?? 0) - unknown,
    );
  }

  const fingerprints = new Map(
    candidates.map((c) => [c.slug, c.apiKey ? apiKeyFingerprint(c.apiKey) : undefined] as const),
  );
  const spent = await vanBudgetsCollection(db)
    .find({ day: today }, { projection: { keyFingerprint: 1, used: 1 } })
    .toArray();
  const usedBy = new Map(spent.map((budget) => [budget.keyFingerprint, budget.used]));
  return candidates.map(({ slug }) => {
    const fingerprint = fingerprints.get(slug);
    return {
      candidate: slug,
      nights: days.map((day) => nightOf(slug, day)),
      budget: fingerprint
        ? {
            day: today,
            used: usedBy.get(fingerprint) ?? 0,
            limit: dailyBudget,
            sharedWith: candidates
              .filter((other) => other.slug !== slug && fingerprints.get(other.slug) === fingerprint)
              .map((other) => other.slug),
          }
        : null,
    };
  });
}
