import {
  buildConfigIndex,
  buildTermCodeIndex,
  LISTING_TABLE,
  parseCandidates,
  parseResultRows,
  parseTermCodes,
  TERM_CODES_TABLE,
  type AirtableRecord,
  type Candidate,
  type ConfigError,
  type ConfigIndex,
  type ResultConfigRow,
  type TermCodeIndex,
} from '@call-sync/core';
import { AirtableRequestError, type AirtableClient } from './airtable-client';

/**
 * The raw Airtable tables of one configuration read. Kept as Airtable sent them so a snapshot can be
 * stored (and parsed again after an outage) without losing anything the parsers may need later.
 */
export interface ConfigurationTables {
  loadedAt: Date;
  listing: AirtableRecord[];
  termCodes: AirtableRecord[];
  /** Result table per candidate, by the table's name (the candidate's Reference Name). */
  resultTables: Record<string, AirtableRecord[]>;
  /** Tables that could not be read, with why; their candidates carry a configuration error. */
  unreadableTables: { table: string; error: string; missing?: boolean }[];
}

export interface CandidateConfiguration {
  candidate: Candidate;
  rows: ResultConfigRow[];
  index: ConfigIndex;
  errors: ConfigError[];
}

/** Everything the services need to know about all candidates, parsed and indexed. */
export interface Configuration {
  loadedAt: Date;
  candidates: Map<string, CandidateConfiguration>;
  termCodes: TermCodeIndex;
  /** Errors of rows that belong to no candidate: the listing table and the term codes. */
  errors: ConfigError[];
}

/**
 * Reads the listing, the term codes and every listed candidate's result table. A table that fails
 * to load does not take the others down: it is recorded in `unreadableTables`.
 */
export async function readConfigurationTables(
  airtable: AirtableClient,
  options: { listingTable?: string; termCodesTable?: string } = {},
): Promise<ConfigurationTables> {
  const listingTable = options.listingTable ?? LISTING_TABLE;
  const termCodesTable = options.termCodesTable ?? TERM_CODES_TABLE;
  const [listing, termCodes] = await Promise.all([
    airtable.listAllRecords(listingTable),
    airtable.listAllRecords(termCodesTable),
  ]);
  const { ok: candidates } = parseCandidates(listing, listingTable);
  const resultTables: Record<string, AirtableRecord[]> = {};
  const unreadableTables: ConfigurationTables['unreadableTables'] = [];
  // One table at a time: the client's per-base limiter paces requests anyway, and sequential
  // reads keep an error attributable to one table.
  for (const candidate of candidates) {
    try {
      resultTables[candidate.referenceName] = await airtable.listAllRecords(candidate.referenceName);
    } catch (error) {
      // A 404 is a table deleted or renamed in Airtable, not an outage: no old copy should stand in.
      const missing = error instanceof AirtableRequestError && error.status === 404;
      unreadableTables.push({
        table: candidate.referenceName,
        error: (error as Error).message,
        ...(missing ? { missing } : {}),
      });
    }
  }
  return { loadedAt: new Date(), listing, termCodes, resultTables, unreadableTables };
}

/** Parses raw tables into configuration; a broken row becomes an error, never a crash. */
export function parseConfiguration(
  tables: ConfigurationTables,
  options: { listingTable?: string; termCodesTable?: string } = {},
): Configuration {
  const listing = parseCandidates(tables.listing, options.listingTable ?? LISTING_TABLE);
  const termCodes = parseTermCodes(tables.termCodes, options.termCodesTable ?? TERM_CODES_TABLE);
  const candidates = new Map<string, CandidateConfiguration>();
  for (const candidate of listing.ok) {
    const records = tables.resultTables[candidate.referenceName];
    const unreadable = tables.unreadableTables.find((t) => t.table === candidate.referenceName);
    if (!records) {
      const message = unreadable
        ? `result table could not be read: ${unreadable.error}`
        : 'result table not found';
      candidates.set(candidate.slug, {
        candidate,
        rows: [],
        index: buildConfigIndex([]),
        errors: [{ table: candidate.referenceName, rowId: '', field: '', message }],
      });
      continue;
    }
    const parsed = parseResultRows(records, candidate.referenceName);
    candidates.set(candidate.slug, {
      candidate,
      rows: parsed.ok,
      index: buildConfigIndex(parsed.ok),
      errors: parsed.errors,
    });
  }
  return {
    loadedAt: tables.loadedAt,
    candidates,
    termCodes: buildTermCodeIndex(termCodes.ok),
    errors: [...listing.errors, ...termCodes.errors],
  };
}
