// A candidate (one row of the Airtable listing table): whose calls, which voter file, and how
// the results are delivered.

import type { Secret } from './secret';

export const CANDIDATE_SYSTEMS = ['van', 'myc', 'csv'] as const;
export type CandidateSystem = (typeof CANDIDATE_SYSTEMS)[number];

/**
 * - `full`: every valuable result is posted to VAN; step-5 results stay `queued_for_csv`.
 * - `hybrid`: as full, then the step-5 results are sent as a CSV "to save you money".
 * - `all csv`: nothing goes to VAN; everything worth keeping goes to one CSV.
 * - `bulk`: as full, but the posts travel as one VAN Bulk Import job per run.
 */
export const STRATEGIES = ['full', 'hybrid', 'all csv', 'bulk'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/**
 * - `nightly`: one run at the Sync Time takes the whole window (the original's way).
 * - `continuous`: the day's run is open all through its window and posts each call a settle delay
 *   after it finished, as VAN asks of phone tools; it closes at the Sync Time like a nightly run.
 */
export const SYNC_MODES = ['nightly', 'continuous'] as const;
type SyncMode = (typeof SYNC_MODES)[number];

export interface Candidate {
  /** Reference Name lowercased, spaces → `-`; the id used in URLs, calls.client and topics. */
  slug: string;
  referenceName: string;
  /** Dialer services whose calls belong to this candidate. */
  serviceNames: string[];
  /** Matches `calls.district`, e.g. `nc05`. */
  district: string;
  system: CandidateSystem;
  /** The VAN key; absent for System csv. Wrapped so it never leaks into logs or pages. */
  apiKey: Secret | undefined;
  /** Read and shown (configure/validate), applied to nothing — as the original did. */
  tagIds: number[];
  active: boolean;
  strategy: Strategy;
  sendReportTo: string | undefined;
  /** Hour of day (0–23, Eastern) of the nightly run; a continuous day closes then. */
  syncHourEastern: number;
  /** Listing column `Sync Mode`; empty is `nightly`. */
  syncMode: SyncMode;
  /**
   * The VAN contact type the calls are logged under, by name ("Phone", "Auto Dial", "Phone Bank"):
   * ids differ between committees, so it is resolved against the key's contact types per run.
   */
  contactType: string;
  /** The VAN input type by name; absent means API (11), what an integration's posts are. */
  inputType: string | undefined;
}

/**
 * What a candidate slug may be: lowercase letters, digits and dashes. Slugs name S3 keys, file
 * names and URL paths, so a Reference Name whose slug is anything else (a `/`, `..`) is refused
 * where it is read, and the API refuses it in a path or query the same way.
 */
export const CANDIDATE_SLUG = /^[a-z0-9][a-z0-9-]{0,79}$/;

export function slugForReferenceName(referenceName: string): string {
  return referenceName.trim().toLowerCase().replace(/\s+/g, '-');
}

/**
 * True when nothing of this candidate goes to VAN: steps 6–7 of the decision are replaced by
 * "send it to the CSV" (docs/behaviour.md#the-decision-for-one-call, strategy `all csv` or System `csv`).
 */
export function deliversOnlyCsv(candidate: Pick<Candidate, 'system' | 'strategy'>): boolean {
  return candidate.system === 'csv' || candidate.strategy === 'all csv';
}
